// The typed API client (openapi-fetch over the generated paths) and the error every failed call throws.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";

export interface FieldProblem {
  node_id?: string | null;
  field?: string | null;
  message: string;
}

/** A failed call: the server's stable `code`, its `detail`, and per-field problems for 422s. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

let apiKey: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setApiKey(key: string | null): void {
  apiKey = key;
}

export function getApiKey(): string | null {
  return apiKey;
}

export function onSignedOut(handler: () => void): void {
  onUnauthorized = handler;
}

const auth: Middleware = {
  onRequest({ request }) {
    if (apiKey) request.headers.set("Authorization", `Bearer ${apiKey}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401 && onUnauthorized) onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(auth);

interface ErrorBody {
  code?: string;
  detail?: string;
  errors?: FieldProblem[];
}

export function toApiError(status: number, body: unknown): ApiError {
  const b = (typeof body === "object" && body !== null ? body : {}) as ErrorBody;
  return new ApiError(
    status,
    b.code ?? `http_${status}`,
    b.detail ?? `request failed (${status})`,
    b.errors ?? [],
  );
}

/** The data of an openapi-fetch result, or an ApiError thrown. */
export async function ok<T>(
  promise: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  const { data, error, response } = await promise;
  if (!response.ok) throw toApiError(response.status, error);
  return data as NonNullable<T>;
}

/** A raw request for bodies openapi-fetch does not type (YAML text, file downloads). */
export async function raw(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (apiKey) headers.set("Authorization", `Bearer ${apiKey}`);
  const response = await fetch(path, { ...init, headers });
  if (!response.ok) {
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    throw toApiError(response.status, body);
  }
  return response;
}
