// The headers every app page and route answer carries (set by src/proxy.ts). Scripts and styles
// allow 'unsafe-inline' because Next inlines its bootstrap; development adds 'unsafe-eval' and ws:
// for hot reload. The only frame the app shows is the preview, from its own origin.
export function appSecurityHeaders(options: { development: boolean; production: boolean; previewOrigin?: string }): Headers {
  const preview = options.previewOrigin;
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${options.development ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    // The editor shows a project's images from the preview origin.
    `img-src 'self' data: blob:${preview ? ` ${preview}` : ''}`,
    "font-src 'self' data:",
    `connect-src 'self'${options.development ? ' ws:' : ''}`,
    `frame-src ${preview ?? "'none'"}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
  const headers = new Headers({
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-frame-options': 'DENY',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()',
  });
  if (options.production) headers.set('strict-transport-security', 'max-age=63072000; includeSubDomains');
  return headers;
}
