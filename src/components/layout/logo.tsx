export function Logo() {
  return (
    <span className="inline-flex items-center gap-2 text-base font-semibold tracking-tight">
      <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
        <rect x="2" y="2" width="20" height="20" rx="6" className="fill-accent" />
        <path d="M7 16V8m10 8V8M7 12h10" stroke="white" strokeWidth="2.2" strokeLinecap="round" />
      </svg>
      Huskit Sites
    </span>
  );
}
