// Where to make the credentials and which permissions they need.
import { HelpBox, LOCAL_NOTE, linkClass } from '@/components/settings/help-box';

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
