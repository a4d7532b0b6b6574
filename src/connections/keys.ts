// Which key seals MDM credentials: WARDEN_SECRET_KEY when set. Without it, only the embedded database (a
// single-machine trial) gets a key of its own, generated once into its data directory; a deployment on a real
// PostgreSQL refuses to store credentials at all, rather than keep them under a key that lives nowhere safe.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { parseSecretKey, SecretBox } from './secret-box';

export function resolveSecretBox(
  config: Pick<Config, 'secretKey' | 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'secretKeyPrevious'>>,
): SecretBox | null {
  if (config.secretKey) return new SecretBox(config.secretKey, config.secretKeyPrevious);
  if (config.databaseUrl) return null;
  const file = path.join(config.dataDir, 'secret.key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  }
  const key = parseSecretKey(fs.readFileSync(file, 'utf8'));
  if (!key) throw new Error(`${file} does not hold a 32-byte key`);
  return new SecretBox(key);
}

export const NO_SECRET_KEY =
  'Warden has no key to encrypt MDM credentials: set WARDEN_SECRET_KEY (e.g. `openssl rand -hex 32`) and restart';
