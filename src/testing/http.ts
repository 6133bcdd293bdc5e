// Calling the app's route handlers directly with Web Requests, as Next does.
export const APP_ORIGIN = 'http://127.0.0.1:3000';

export function jsonRequest(path: string, body: unknown, init: { headers?: Record<string, string>; method?: string } = {}) {
  return new Request(`${APP_ORIGIN}${path}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', host: '127.0.0.1:3000', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The `name=value` pair of the session cookie a response sets, for the next request's Cookie header. */
export function sessionCookieFrom(response: Response): string {
  const line = response.headers.getSetCookie().find((c) => c.startsWith('huskit_session='));
  if (!line) throw new Error('The response set no session cookie.');
  return line.split(';')[0]!;
}
