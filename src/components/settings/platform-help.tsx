'use client';
// What each platform needs from a person before they paste anything: where to make the token and
// which permissions it needs. The IAM policy allows only the Amplify operations Huskit calls.
import { useState } from 'react';

/** Least privilege for manual Amplify deploys; REGION, ACCOUNT and APPID are the person's own. */
export const AMPLIFY_IAM_POLICY = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CreateAndListApps',
        Effect: 'Allow',
        Action: ['amplify:CreateApp', 'amplify:ListApps'],
        Resource: 'arn:aws:amplify:REGION:ACCOUNT:apps/*',
      },
      {
        Sid: 'DeployToOneApp',
        Effect: 'Allow',
        Action: [
          'amplify:GetApp',
          'amplify:ListBranches',
          'amplify:CreateBranch',
          'amplify:GetBranch',
          'amplify:DeleteBranch',
          'amplify:CreateDeployment',
          'amplify:StartDeployment',
          'amplify:ListJobs',
          'amplify:GetJob',
          'amplify:StopJob',
          'amplify:DeleteJob',
        ],
        Resource: ['arn:aws:amplify:REGION:ACCOUNT:apps/APPID', 'arn:aws:amplify:REGION:ACCOUNT:apps/APPID/*'],
      },
    ],
  },
  null,
  2,
);

const LOCAL_NOTE =
  process.env.NODE_ENV === 'development' ? (
    <p className="text-xs text-neutral-500">
      Trying it locally? Paste the <strong>user</strong> values of the local cloud (README, “The local cloud”).
    </p>
  ) : null;

function HelpBox({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <aside
      aria-label={title}
      className="space-y-3 rounded-lg border border-neutral-200 bg-neutral-50 p-4 text-sm text-neutral-700 dark:border-neutral-800 dark:bg-neutral-900/60 dark:text-neutral-300"
    >
      <h3 className="font-medium text-neutral-900 dark:text-neutral-100">{title}</h3>
      {children}
    </aside>
  );
}

const linkClass = 'font-medium text-accent underline-offset-4 hover:underline focus-visible:outline-2 focus-visible:outline-accent';

export function CloudflareHelp() {
  return (
    <HelpBox title="Which Cloudflare token?">
      <ol className="list-decimal space-y-1.5 pl-5">
        <li>
          In the Cloudflare dashboard open{' '}
          <a className={linkClass} href="https://dash.cloudflare.com/profile/api-tokens" target="_blank" rel="noopener noreferrer">
            My Profile → API Tokens
          </a>{' '}
          and create a <em>custom token</em>.
        </li>
        <li>
          Give it these account permissions:
          <ul className="mt-1 space-y-0.5">
            <li>
              <code className="font-mono text-xs">Workers Scripts: Edit</code>
            </li>
            <li>
              <code className="font-mono text-xs">Account Settings: Read</code>
            </li>
          </ul>
        </li>
        <li>The account ID is on the Workers &amp; Pages overview, in the right-hand column.</li>
      </ol>
      <p className="text-xs text-neutral-500">Sites go to your workers.dev subdomain. Nothing else in the account is touched.</p>
      {LOCAL_NOTE}
    </HelpBox>
  );
}

export function AmplifyHelp() {
  const [copied, setCopied] = useState(false);
  return (
    <HelpBox title="Which AWS keys?">
      <p>
        Create an IAM user for Huskit with an access key, and attach this policy. Replace <code className="font-mono text-xs">REGION</code>,{' '}
        <code className="font-mono text-xs">ACCOUNT</code> and <code className="font-mono text-xs">APPID</code> with yours.
      </p>
      <div>
        <div className="mb-1.5 flex items-center justify-between gap-3">
          <span id="amplify-policy-label" className="text-xs font-medium text-neutral-600 dark:text-neutral-400">
            IAM policy (JSON)
          </span>
          <button
            type="button"
            onClick={() => {
              void navigator.clipboard?.writeText(AMPLIFY_IAM_POLICY).then(() => {
                setCopied(true);
                setTimeout(() => setCopied(false), 2500);
              });
            }}
            className="rounded-md border border-neutral-300 bg-white px-2 py-1 text-xs hover:bg-neutral-100 focus-visible:outline-2 focus-visible:outline-accent dark:border-neutral-700 dark:bg-neutral-900 dark:hover:bg-neutral-800"
          >
            {copied ? 'Copied' : 'Copy policy'}
          </button>
        </div>
        <pre
          role="region"
          aria-labelledby="amplify-policy-label"
          tabIndex={0}
          className="max-h-72 overflow-auto rounded-md border border-neutral-200 bg-white p-3 font-mono text-[11px] leading-relaxed whitespace-pre-wrap [overflow-wrap:anywhere] focus-visible:outline-2 focus-visible:outline-accent dark:border-neutral-800 dark:bg-neutral-950"
        >
          {AMPLIFY_IAM_POLICY}
        </pre>
        <span role="status" className="sr-only">
          {copied ? 'Policy copied to the clipboard.' : ''}
        </span>
      </div>
      <p className="text-xs text-neutral-500">
        Leave the app ID empty and Huskit creates an app for your sites (that needs the first statement). With an existing app, you can drop the first
        statement.
      </p>
      <p className="text-xs text-neutral-500">
        Temporary keys (from a role or SSO, starting with ASIA) work too: paste their session token as well, and reconnect when they expire.
      </p>
      {LOCAL_NOTE}
    </HelpBox>
  );
}

export function NetlifyHelp() {
  return (
    <HelpBox title="Which Netlify token?">
      <ol className="list-decimal space-y-1.5 pl-5">
        <li>
          In Netlify open{' '}
          <a className={linkClass} href="https://app.netlify.com/user/applications#personal-access-tokens" target="_blank" rel="noopener noreferrer">
            User settings → Applications
          </a>{' '}
          and create a <em>personal access token</em> (give it an expiry you are comfortable with).
        </li>
        <li>Paste it here. Netlify tokens have no scopes: the token acts as you, so keep it for Huskit only.</li>
      </ol>
      <p className="text-xs text-neutral-500">Each site becomes a Netlify site named after it, in your default team.</p>
      {LOCAL_NOTE}
    </HelpBox>
  );
}

export function VercelHelp() {
  return (
    <HelpBox title="Which Vercel token?">
      <ol className="list-decimal space-y-1.5 pl-5">
        <li>
          In Vercel open{' '}
          <a className={linkClass} href="https://vercel.com/account/settings/tokens" target="_blank" rel="noopener noreferrer">
            Account settings → Tokens
          </a>{' '}
          and create a token scoped to the team your sites go to.
        </li>
        <li>
          For a team, paste its ID too (Team settings → General, starts with <code className="font-mono text-xs">team_</code>).
        </li>
      </ol>
      <p className="text-xs text-neutral-500">Each site becomes a Vercel project, deployed to production without a build.</p>
      {LOCAL_NOTE}
    </HelpBox>
  );
}
