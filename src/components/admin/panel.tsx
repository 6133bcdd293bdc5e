// A titled card of the operators' page.
export function Panel({
  id,
  title,
  description,
  children,
  className = '',
}: {
  id: string;
  title: string;
  description?: React.ReactNode;
  children: React.ReactNode;
  className?: string;
}) {
  return (
    <section aria-labelledby={id} className={`rounded-lg border border-neutral-200 bg-white p-5 dark:border-neutral-800 dark:bg-neutral-900 ${className}`}>
      <h2 id={id} className="text-base font-medium">
        {title}
      </h2>
      {description && <p className="mt-1 text-sm text-neutral-600 dark:text-neutral-400">{description}</p>}
      <div className="mt-4">{children}</div>
    </section>
  );
}
