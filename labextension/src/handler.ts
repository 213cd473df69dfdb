/**
 * The only place that talks to the Studio server.
 *
 * Requests are made by openapi-fetch over the `paths` that openapi-typescript generates from
 * the server's OpenAPI document, so a path, query parameter or body field that the server no
 * longer has fails `tsc`. They still travel through `ServerConnection.makeRequest`, which adds
 * Jupyter's token and XSRF headers, and every failure becomes one `StudioRequestError`.
 */
import { ServerConnection } from '@jupyterlab/services';
import createClient, {
  createFinalURL,
  createQuerySerializer,
  defaultPathSerializer
} from 'openapi-fetch';
import type { Client } from 'openapi-fetch';

import type { paths } from './api/schema';

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

/** A client of the Studio REST API, typed by the generated `paths`. */
export type StudioClient = Client<paths>;

/** What openapi-fetch answers: the data, or the error with the response that carried it. */
interface IFetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** GET and HEAD carry no body: a Request made with one throws. */
const BODILESS = new Set(['GET', 'HEAD']);

/** A client whose requests go through Jupyter's `ServerConnection` with these settings. */
export function createStudioClient(
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): StudioClient {
  return createClient<paths>({
    baseUrl: settings.baseUrl,
    Request: settings.Request,
    fetch: async (request: Request): Promise<Response> => {
      // A DELETE without a body sends none, rather than an empty one.
      const body = BODILESS.has(request.method)
        ? undefined
        : (await request.text()) || undefined;
      try {
        return await ServerConnection.makeRequest(
          request.url,
          { method: request.method, headers: request.headers, body },
          settings
        );
      } catch (error) {
        throw new StudioRequestError(
          0,
          `The Studio server cannot be reached: ${String(error)}`
        );
      }
    }
  });
}

/**
 * The data of a successful answer; otherwise throws `StudioRequestError` carrying the
 * server's message, so panels can show it as is.
 */
export async function unwrap<T>(call: Promise<IFetchResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) {
    return data as T;
  }
  // Not the JSON envelope (a proxy's page, say): openapi-fetch hands the text over as is.
  const envelope: IErrorBody =
    error !== null && typeof error === 'object' ? (error as IErrorBody) : {};
  throw new StudioRequestError(
    response.status,
    envelope.message || `${response.status} ${response.statusText}`.trim(),
    envelope.reason ?? null
  );
}

type GetPath = {
  [P in keyof paths]: paths[P]['get'] extends { parameters: unknown }
    ? P
    : never;
}[keyof paths];

/**
 * The address of a GET route (a download link the browser follows with the session's
 * cookie), built from the same typed parameters as a request.
 */
export function apiUrl<P extends GetPath>(
  path: P,
  params: NonNullable<paths[P]['get']>['parameters'],
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  return createFinalURL(path, {
    baseUrl: settings.baseUrl.replace(/\/+$/, ''),
    params: params as {
      query?: Record<string, unknown>;
      path?: Record<string, unknown>;
    },
    querySerializer: createQuerySerializer(),
    pathSerializer: defaultPathSerializer
  });
}

/** A route's query: absent values are left out. */
export type QueryValues = Record<string, string | number | boolean | undefined>;

/** A route's address under the server's base URL, with its query. */
export function routeUrl(
  path: string,
  query: QueryValues = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) {
      search.append(key, String(value));
    }
  }
  const text = search.toString();
  return `${settings.baseUrl.replace(/\/+$/, '')}${path}${text ? `?${text}` : ''}`;
}

/** A route's answer as it came: status, body text and headers (the "try it" box shows them). */
export interface IRawAnswer {
  status: number;
  body: string;
  headers: Headers;
}

/** Send a request through Jupyter's connection (token, XSRF); an unreachable server throws. */
export async function requestRaw(
  url: string,
  init: RequestInit,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<IRawAnswer> {
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new StudioRequestError(
      0,
      `The Studio server cannot be reached: ${String(error)}`
    );
  }
  return {
    status: response.status,
    body: await response.text(),
    headers: response.headers
  };
}

/** A path segment, escaped (model and endpoint names, aliases). */
export function segment(value: string | number): string {
  return encodeURIComponent(String(value));
}
