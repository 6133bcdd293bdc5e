// Where to make the credentials and which permissions they need.
import { HelpBox, LOCAL_NOTE, linkClass } from '@/components/settings/help-box';

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
