import type { Migration } from '../../../lib/migrate.ts';
import * as init from './001_init.ts';
import * as unnameUploaders from './002_unname_uploaders.ts';
import * as nationalFeeds from './003_national_feeds.ts';
import * as changeNotices from './004_change_notices.ts';

export const migrations: Migration[] = [init, unnameUploaders, nationalFeeds, changeNotices];
