/** @type {import('next').NextConfig} */
const nextConfig = {
  // Loaded with native require: PGlite ships WASM and data files, ws has optional native add-ons.
  serverExternalPackages: ['@electric-sql/pglite', 'ws', '@neondatabase/serverless'],
  poweredByHeader: false,
  // `next dev` serves its own scripts to localhost only: opened at http://127.0.0.1:3000 the page
  // never hydrated. The loopback addresses and the preview origin are this machine too (hostnames,
  // any port; development only, `next start` ignores this).
  allowedDevOrigins: ['127.0.0.1', '[::1]', 'localhost', 'preview.localhost'],
  // The seed's REST URLs, POST /api/{platform}-deploy, served by one route for every platform.
  async rewrites() {
    return [{ source: '/api/:platform-deploy', destination: '/api/deploy/:platform' }];
  },
};

export default nextConfig;
