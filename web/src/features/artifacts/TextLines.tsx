// Text with its line numbers (numbers are not selected when the text is copied).
export function TextLines({ text, label }: { text: string; label: string }) {
  const lines = text.replace(/\n$/, "").split("\n");
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className="text-lines" tabIndex={0} aria-label={label}>
      <table>
        <tbody>
          {lines.map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of a file
            <tr key={i}>
              <td className="line-no" aria-hidden="true" data-line={i + 1} />
              <td className="line-text">{line || " "}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
