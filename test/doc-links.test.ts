/**
 * Every relative link in README.md, CHANGELOG.md and docs/*.md leads somewhere: the file exists,
 * and a `#anchor` names a heading of the target page (GitHub's heading ids). Links inside code
 * blocks and inline code are not links; links to other sites are not checked.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PAGES = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The page's text without fenced code blocks and inline code, where `[a](b)` is not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, text] of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = text!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    ids.add(count === 0 ? base : `${base}-${count}`);
  }
  return ids;
}

/** The inline links and images of a page: `[text](target)` and `![alt](target "title")`. */
export function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(([, t]) => t!);
}

interface BrokenLink {
  readonly page: string;
  readonly target: string;
  readonly why: string;
}

function brokenLinks(page: string): BrokenLink[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const broken: BrokenLink[] = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
    const [path = '', anchor] = target.split('#', 2);
    const file = path === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), decodeURIComponent(path));
    if (!file.startsWith(ROOT)) {
      broken.push({ page, target, why: 'leads outside the repository' });
      continue;
    }
    if (!existsSync(file)) {
      broken.push({ page, target, why: `no file ${relative(ROOT, file)}` });
      continue;
    }
    if (anchor === undefined) continue;
    if (!file.endsWith('.md')) {
      broken.push({ page, target, why: 'an anchor into a file that is not markdown' });
      continue;
    }
    if (!headingIds(readFileSync(file, 'utf8')).has(decodeURIComponent(anchor)))
      broken.push({ page, target, why: `no heading #${anchor} in ${relative(ROOT, file)}` });
  }
  return broken;
}

describe('documentation links', () => {
  it('finds the pages, and links in them', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md', 'docs/protocol.md']));
    expect(linkTargets(readFileSync(join(ROOT, 'README.md'), 'utf8')).length).toBeGreaterThan(10);
  });

  it.each(PAGES)('every relative link in %s resolves', (page) => {
    expect(brokenLinks(page)).toEqual([]);
  });

  it('reads headings and links the way GitHub does (the check can fail)', () => {
    const page = '# Close codes\n\n## `GET /healthz`: 200 or 503\n\n## Close codes\n\n```\n# not a heading\n```\n';
    expect([...headingIds(page)]).toEqual(['close-codes', 'get-healthz-200-or-503', 'close-codes-1']);
    expect(linkTargets('[a](b.md#c) `[x](y.md)` ![i](d.png "t") [w](https://e.org)')).toEqual([
      'b.md#c',
      'd.png',
      'https://e.org',
    ]);
  });
});
