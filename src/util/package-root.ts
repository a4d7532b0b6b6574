// Finds the folder holding Warden's package.json, so files shipped beside the code (openapi/, the dashboard)
// are found the same way from src/ under the tests and from dist/src/ in production.
import fs from 'node:fs';
import path from 'node:path';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'warden') {
      root = dir;
      return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`no warden package.json above ${__dirname}`);
  }
}
