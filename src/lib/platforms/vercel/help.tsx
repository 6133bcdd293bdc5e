// Where to make the credentials and which permissions they need.
import { HelpBox, LOCAL_NOTE, linkClass } from '@/components/settings/help-box';

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
