import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import { SERVICE_PREFIXES, type Services } from './generated/services.ts';

export type { Services } from './generated/services.ts';

/** RFC 9457 problem+json as every service answers it; branch on `code`, never on `detail`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  request_id: string;
  errors?: { field: string; message: string }[];
}

export interface ApiClientOptions {
  /** The gateway, e.g. `http://127.0.0.1:8080` (paths carry each service's prefix). */
  baseUrl: string;
  /** The access token to send as `Authorization: Bearer`, read before every request. */
  accessToken?: () => string | undefined;
  fetch?: ClientOptions['fetch'];
  headers?: ClientOptions['headers'];
}

/** One typed client per service: `api.accounts.POST('/accounts/v1/login', { body })`. */
export type ApiClient = { [name in keyof Services]: Client<Services[name]> };

/**
 * Typed clients of every service behind the gateway, generated from their OpenAPI documents
 * (openapi-fetch over the types openapi-typescript writes to src/generated).
 */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const bearer: Middleware = {
    onRequest({ request }) {
      const token = options.accessToken?.();
      if (token && !request.headers.has('authorization')) {
        request.headers.set('authorization', `Bearer ${token}`);
      }
      return request;
    },
  };
  const clients: Record<string, Client<never>> = {};
  for (const name of SERVICE_PREFIXES) {
    const client = createClient<never>({
      baseUrl: options.baseUrl,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    client.use(bearer);
    clients[name] = client;
  }
  return clients as unknown as ApiClient;
}
