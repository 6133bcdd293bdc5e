'use client';
// Where to make the keys: the IAM policy allows only the Amplify operations Huskit calls.
import { useState } from 'react';
import { HelpBox, LOCAL_NOTE } from '@/components/settings/help-box';

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
