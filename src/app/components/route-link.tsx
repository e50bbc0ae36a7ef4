/**
 * A link to one of the page's views (an agent, a task, the audit log): a real `<a href>`, so it
 * can be copied or opened in a new tab, that opens the view in place on a plain click.
 */
import type { MouseEvent, ReactNode } from 'react';
import { navigate, routePath, type ViewRoute } from '../lib/view-route';
import './route-link.css';

export function RouteLink({
  route,
  children,
  className,
  label,
}: {
  route: ViewRoute;
  children: ReactNode;
  className?: string;
  /** The accessible name, when the text alone does not say where the link goes. */
  label?: string;
}) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    // A middle click or one with a modifier opens a new tab or window, as for any link.
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(route);
  };
  return (
    <a href={routePath(route)} className={className} aria-label={label} onClick={onClick}>
      {children}
    </a>
  );
}
