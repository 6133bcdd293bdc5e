// Where to make the token and which permissions it needs.
import { HelpBox, LOCAL_NOTE, linkClass } from '@/components/settings/help-box';

export function GithubHelp() {
  return (
    <HelpBox title="Which GitHub token?">
      <ol className="list-decimal space-y-1.5 pl-5">
        <li>
          On GitHub open{' '}
          <a className={linkClass} href="https://github.com/settings/personal-access-tokens/new" target="_blank" rel="noopener noreferrer">
            Settings → Developer settings → Fine-grained tokens
          </a>{' '}
          and generate a token for <em>All repositories</em> of your account.
        </li>
        <li>
          Give it these repository permissions, each <em>Read and write</em>:
          <ul className="mt-1 space-y-0.5">
            <li>
              <code className="font-mono text-xs">Administration</code> (to create the site’s repository and turn on Pages)
            </li>
            <li>
              <code className="font-mono text-xs">Contents</code> (to commit the site)
            </li>
            <li>
              <code className="font-mono text-xs">Pages</code> (to publish it)
            </li>
          </ul>
        </li>
      </ol>
      <p className="text-xs text-neutral-500">
        Each site becomes a public repository named after it, published from its <code className="font-mono">gh-pages</code> branch at
        <code className="font-mono"> you.github.io/site-name/</code>. Removing a site turns Pages off and keeps the repository and its history.
      </p>
      {LOCAL_NOTE}
    </HelpBox>
  );
}
