/** @type {import('next').NextConfig} */
const nextConfig = {
  // Loaded with native require: PGlite ships WASM and data files, ws has optional native add-ons.
  serverExternalPackages: ['@electric-sql/pglite', 'ws', '@neondatabase/serverless'],
  poweredByHeader: false,
};

export default nextConfig;
