import type { Migration } from '../../../lib/migrate.ts';
import * as init from './001_init.ts';
import * as changeNotices from './002_change_notices.ts';

export const migrations: Migration[] = [init, changeNotices];
