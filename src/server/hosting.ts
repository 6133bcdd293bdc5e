// Where this app itself runs (not where it deploys sites to). On Vercel, a serverless host, no process
// outlives its requests: work after a response goes to `after()` (waitUntil there), and the scheduled
// calls of vercel.json (/api/cron/sweep every minute, /api/cron/cleanup daily, with
// `Authorization: Bearer ${CRON_SECRET}`) replace the in-process sweep. On a Node server (`next start`)
// the process keeps running and sweeps on its own. README "Deploying" says how to set up each.

/** Whether this process runs on the serverless host (which sets VERCEL in its functions' environment). */
export function onServerlessHost(): boolean {
  return Boolean(process.env.VERCEL);
}
