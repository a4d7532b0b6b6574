// The web dashboard: its page at / and its scripts and stylesheets at /assets/{file}. Public (the files hold no
// data), each answer with the dashboard's security headers and an ETag for conditional requests.
import type { Context } from 'koa';
import {
  ASSET_CACHE_CONTROL,
  DASHBOARD_HEADERS,
  type DashboardFile,
  dashboardFiles,
  isNotModified,
  PAGE_CACHE_CONTROL,
} from '../../dashboard/assets';
import { AppError } from '../../errors';
import type { RouteTable } from '../route';

/** Sets the headers of a dashboard answer; true when the caller's copy is current (answer 304). */
function prepare(koa: Context, file: DashboardFile, cacheControl: string): boolean {
  koa.set(DASHBOARD_HEADERS);
  koa.set('Cache-Control', cacheControl);
  koa.set('ETag', file.etag);
  return isNotModified(koa.get('if-none-match'), file.etag);
}

export const dashboardRoutes = {
  getDashboard: {
    roles: 'public',
    async handler({ koa }) {
      const { page } = dashboardFiles();
      if (prepare(koa, page, PAGE_CACHE_CONTROL)) return { status: 304 };
      return { status: 200, body: page.body, contentType: 'text/html' };
    },
  },

  getDashboardAsset: {
    roles: 'public',
    async handler({ input, koa }) {
      const asset = dashboardFiles().assets.get(input.params.file);
      if (!asset)
        throw new AppError('not-found', `the dashboard has no file ${input.params.file}`, { field: 'path.file' });
      if (prepare(koa, asset, ASSET_CACHE_CONTROL)) return { status: 304 };
      return asset.contentType === 'text/css'
        ? { status: 200, body: asset.body, contentType: 'text/css' }
        : { status: 200, body: asset.body, contentType: 'text/javascript' };
    },
  },
} satisfies RouteTable;
