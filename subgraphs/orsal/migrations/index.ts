import type { Migration } from '../../../lib/migrate.ts';
import * as init from './001_init.ts';
import * as secrecy from './003_statistical_secrecy.ts';
import * as protection from './004_protection_interval.ts';
import * as unnameUploaders from './005_unname_uploaders.ts';
import * as healthTables from './006_health_tables.ts';
import * as releases from './007_releases.ts';
import * as changeNotices from './008_change_notices.ts';

export const migrations: Migration[] = [init, secrecy, protection, unnameUploaders, healthTables, releases, changeNotices];
