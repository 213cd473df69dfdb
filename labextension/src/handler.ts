/**
 * The only place that talks to the Studio server.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** The server's JSON error envelope. */
export interface IErrorBody {
  message?: string;
  reason?: string;
}

/** A request the server answered with an error (or could not be made). */
export class StudioRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string | null = null
  ) {
    super(message);
    this.name = 'StudioRequestError';
  }
}

export type Query = Record<
  string,
  string | number | boolean | null | undefined | (string | number)[]
>;

/** `/studio/api/<path>?<query>` under the server's base URL. */
export function apiUrl(
  path: string,
  query: Query = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') {
      continue;
    }
    for (const item of Array.isArray(value) ? value : [value]) {
      params.append(key, String(item));
    }
  }
  const search = params.toString();
  const url = URLExt.join(settings.baseUrl, 'studio', 'api', path);
  return search ? `${url}?${search}` : url;
}

/**
 * Call the Studio REST API; resolves with the parsed JSON body (undefined for 204).
 *
 * Throws `StudioRequestError` carrying the server's message, so panels can show it as is.
 */
export async function requestAPI<T>(
  path: string,
  init: RequestInit & { query?: Query } = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const text = await send(path, init, settings);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Like `requestAPI`, for routes that answer raw content (artifact files). */
export function requestText(
  path: string,
  query: Query = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<string> {
  return send(path, { query }, settings);
}

async function send(
  path: string,
  init: RequestInit & { query?: Query },
  settings: ServerConnection.ISettings
): Promise<string> {
  const { query, ...request } = init;
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      apiUrl(path, query, settings),
      request,
      settings
    );
  } catch (error) {
    throw new StudioRequestError(
      0,
      `The Studio server cannot be reached: ${String(error)}`
    );
  }
  const text = response.status === 204 ? '' : await response.text();
  if (!response.ok) {
    let error: IErrorBody = {};
    try {
      error = JSON.parse(text) as IErrorBody;
    } catch {
      // Not the JSON envelope (a proxy's page, say): fall back on the status line.
    }
    throw new StudioRequestError(
      response.status,
      error.message || `${response.status} ${response.statusText}`,
      error.reason ?? null
    );
  }
  return text;
}
