import type { ReactNode } from 'react';

/** A titled section; `label` becomes the accessible name of the region. */
export function Panel({
  title,
  label,
  actions,
  children,
  id,
}: {
  title: ReactNode;
  label: string;
  actions?: ReactNode;
  children: ReactNode;
  id?: string;
}) {
  const headingId = `${id ?? label.toLowerCase().replace(/\W+/g, '-')}-heading`;
  return (
    <section className="panel" role="region" aria-label={label} aria-describedby={headingId}>
      <header>
        <h2 id={headingId}>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/** What a panel shows when it has nothing yet. */
export function EmptyState({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
