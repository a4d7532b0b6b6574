// The web dashboard's static files (web/ beside package.json): read once, on first use, with their content type
// and an ETag, and the security headers every dashboard response carries. The page holds no data; it reads /v1
// in the browser with the token its user types in.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/package-root';

export interface DashboardFile {
  name: string;
  contentType: 'text/html' | 'text/javascript' | 'text/css';
  body: string;
  /** A strong ETag of the content, quoted. */
  etag: string;
}

export interface DashboardFiles {
  page: DashboardFile;
  /** Scripts and stylesheets by file name (what /assets/{file} serves). */
  assets: ReadonlyMap<string, DashboardFile>;
}

const CONTENT_TYPES: Record<string, DashboardFile['contentType']> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
};

/** Same origin only, no inline script or style, no framing: a device name holding markup cannot run. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** The page must be revalidated (it names the assets); assets may be reused for a few minutes. */
export const PAGE_CACHE_CONTROL = 'no-cache';
export const ASSET_CACHE_CONTROL = 'public, max-age=300';

function readFile(directory: string, name: string, contentType: DashboardFile['contentType']): DashboardFile {
  const body = fs.readFileSync(path.join(directory, name), 'utf8');
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { name, contentType, body, etag };
}

/** Reads every dashboard file of a folder (by default web/ of the package). */
export function readDashboardFiles(directory = path.join(packageRoot(), 'web')): DashboardFiles {
  const assets = new Map<string, DashboardFile>();
  for (const name of fs.readdirSync(directory).sort()) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (contentType) assets.set(name, readFile(directory, name, contentType));
  }
  return { page: readFile(directory, 'index.html', 'text/html'), assets };
}

let loaded: DashboardFiles | undefined;

export function dashboardFiles(): DashboardFiles {
  loaded ??= readDashboardFiles();
  return loaded;
}

/** Whether a conditional GET's If-None-Match names this ETag (weak or strong; `*` matches anything). */
export function isNotModified(ifNoneMatch: string, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}
