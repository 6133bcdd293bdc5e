/** @type {import('next').NextConfig} */
const nextConfig = {
  // Loaded with native require: PGlite ships WASM and data files, ws has optional native add-ons.
  serverExternalPackages: ['@electric-sql/pglite', 'ws', '@neondatabase/serverless'],
  poweredByHeader: false,
  // `next dev` serves its own scripts to localhost only: opened at http://127.0.0.1:3000 the page
  // never hydrated. The loopback addresses and the preview origin are this machine too (hostnames,
  // any port; development only, `next start` ignores this).
  allowedDevOrigins: ['127.0.0.1', '[::1]', 'localhost', 'preview.localhost'],
};

export default nextConfig;
