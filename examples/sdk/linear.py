"""linear.py — examples/linear.yaml in code: a straight line of script steps that ends in a Markdown report.

Shows: run inputs given as ``InputField`` dicts (with defaults), script steps whose inputs read the
previous step (``prepare.output["words"]``: a Ref given whole, so the edge follows), a file written by a
step becoming an artifact (``report.md``), and a transform that builds the run's output from
expressions. Run it like the YAML file, no server needed:

    lockgate run examples/sdk/linear.py
    lockgate run examples/sdk/linear.py -i title="My notes" -i top=2 --json
"""

from __future__ import annotations

from lockgate import Pipeline

pipe = Pipeline(
    "linear",
    description="Prepare a text, count its words, write a Markdown report and summarise it.",
    input={
        "title": {"type": "string", "default": "Release notes"},
        "text": {
            "type": "string",
            "default": (
                "Lockgate runs pipelines durably.\n"
                "Every pipeline is a graph of steps, and steps leave artifacts.\n"
                "A failed step is retried; the steps of a run that dies are resumed.\n"
            ),
        },
        "top": {"type": "integer", "default": 3, "description": "how many of the most frequent words to report"},
        "min_length": {"type": "integer", "default": 4, "description": "shorter words are not counted"},
    },
)

prepare = pipe.script(
    "prepare",
    description="Stands in for a fetch, normalising the text into lines and lowercase words.",
    inputs={"text": pipe.input["text"], "min_length": pipe.input["min_length"]},
    code="""\
import re
lines = [line.strip() for line in text.splitlines() if line.strip()]
words = [w for w in re.findall(r"[a-z']+", text.lower()) if len(w) >= min_length]
output = {"lines": lines, "words": words}
""",
)

count_words = pipe.script(
    "count_words",
    inputs={"words": prepare.output["words"], "top": pipe.input["top"]},
    code="""\
from collections import Counter
counts = Counter(words)
# most frequent first, ties in alphabetical order: the same text always gives the same list
ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
output = {"total": len(words), "unique": len(counts), "top": [[w, n] for w, n in ranked[:top]]}
""",
)

# report reads prepare too; prepare is upstream of count_words already, so no edge is drawn from it
report = pipe.script(
    "report",
    description="Writes report.md into its workspace, where it becomes an artifact of the step.",
    inputs={"title": pipe.input["title"], "lines": prepare.output["lines"], "stats": count_words.output},
    code="""\
rows = "\\n".join(f"| {word} | {n} |" for word, n in stats["top"])
text = (
    f"# {title}\\n\\n"
    f"{len(lines)} lines, {stats['total']} words, {stats['unique']} distinct.\\n\\n"
    f"| word | count |\\n| --- | --- |\\n{rows}\\n"
)
with open("report.md", "w", encoding="utf-8") as file:
    file.write(text)
output = {"artifact": "report.md", "bytes": len(text.encode())}
""",
)

top_word = count_words.output["top"][0][0]
summarize = pipe.transform(
    "summarize",
    report,
    value={
        "title": pipe.input["title"],
        "words": count_words.output["total"],
        "distinct": count_words.output["unique"],
        "top_word": top_word,
        "report": report.output["artifact"],
        "sentence": f"{pipe.input['title']}: {count_words.output['total']} words, most often '{top_word}'.",
    },
)

if __name__ == "__main__":
    print(pipe.to_yaml(), end="")
