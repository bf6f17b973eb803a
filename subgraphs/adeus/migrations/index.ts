import type { Migration } from '../../../lib/migrate.ts';
import * as init from './001_init.ts';
import * as unnameUploaders from './002_unname_uploaders.ts';
import * as changeNotices from './003_change_notices.ts';
import * as planarRadiusIndex from './004_planar_radius_index.ts';
import * as storedAreaAndL93 from './005_stored_area_and_l93.ts';

export const migrations: Migration[] = [init, unnameUploaders, changeNotices, planarRadiusIndex, storedAreaAndL93];
