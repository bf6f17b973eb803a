import { badUserInput } from '../../../lib/errors.ts';
import { readPageArgs, type PageArgs } from '../../../lib/pagination.ts';

/** A keyset page in id order: the cursor is the last id seen. */
export function idCursor(args: PageArgs): { limit: number; after: string | undefined } {
  const page = readPageArgs<unknown>(args);
  if (page.after !== undefined && typeof page.after !== 'string') {
    throw badUserInput('after is not a cursor returned by this API', { argument: 'after' });
  }
  return { limit: page.limit, after: page.after };
}

/** A keyset page in time order: the cursor is the last instant seen. */
export function instantCursor(args: PageArgs): { limit: number; after: string | undefined } {
  const page = idCursor(args);
  if (page.after !== undefined && Number.isNaN(Date.parse(page.after))) {
    throw badUserInput('after is not a cursor returned by this API', { argument: 'after' });
  }
  return page;
}
