// `warden sim --mdm intune|jamf|android`: starts one emulated MDM tenant and says how to connect Warden to it
// (the lines printed, and for Android the service account key file written). The command's options and the
// process lifetime stay in src/cli.ts; this module knows each emulator's options and what to print.
import fs from 'node:fs';
import path from 'node:path';
import { androidEmulatorConnection, startAndroidEmulator } from './android';
import type { FaultSettings } from './graph';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, startGraphEmulator } from './graph';
import { jamfEmulatorConnection, startJamfEmulator } from './jamf';

export const SIM_KINDS = ['intune', 'jamf', 'android'] as const;
export type SimKind = (typeof SIM_KINDS)[number];

export interface SimOptions {
  mdm: SimKind;
  devices: number;
  seed: number;
  port: number;
  pkiDir: string;
  /** Intune only: answer 429 past Intune's published limits. */
  enforceLimits: boolean;
  /** How long a device action (Intune), MDM command (Jamf) or command operation (Android) stays pending. */
  actionLatencyMs: number;
  faults: Partial<FaultSettings>;
  /** Android only: where the emulator's service account key file is written. */
  keyFile: string;
}

export interface RunningSim {
  /** What to print: where the tenant is and how to connect Warden to it. */
  lines: string[];
  stop(): Promise<void>;
}

const caLine = (caPath: string) =>
  `  CA certificate:  ${caPath} (WARDEN_EXTRA_CA_FILE for Warden, NODE_EXTRA_CA_CERTS for other Node tools)`;
const faultsLine = (url: string, faults: FaultSettings) =>
  `  faults:          ${JSON.stringify(faults)} (change them at ${url}/_sim/faults)`;
const curlCreate = (body: string) =>
  `  curl -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' http://localhost:8080/v1/connections -d ${body}`;

export async function startSim(options: SimOptions): Promise<RunningSim> {
  switch (options.mdm) {
    case 'intune': {
      const emulator = await startGraphEmulator({
        devices: options.devices,
        seed: options.seed,
        port: options.port,
        pkiDir: options.pkiDir,
        enforceLimits: options.enforceLimits,
        actionLatencyMs: options.actionLatencyMs,
        faults: options.faults,
      });
      return {
        lines: [
          `emulated Intune tenant on ${emulator.url} (${options.devices} devices)`,
          `  Graph base URL:  ${emulator.url}`,
          `  authority host:  ${emulator.authorityHost}`,
          `  tenant id:       ${emulator.tenantId}`,
          `  client id:       ${DEFAULT_CLIENT_ID}`,
          `  client secret:   ${DEFAULT_CLIENT_SECRET}`,
          caLine(emulator.caPath),
          faultsLine(emulator.url, emulator.faults()),
        ],
        stop: () => emulator.stop(),
      };
    }
    case 'jamf': {
      const emulator = await startJamfEmulator({
        mobileDevices: options.devices,
        seed: options.seed,
        port: options.port,
        pkiDir: options.pkiDir,
        commandLatencyMs: options.actionLatencyMs,
        faults: options.faults,
      });
      const connection = { name: 'jamf-sim', ...jamfEmulatorConnection(emulator) };
      return {
        lines: [
          `emulated Jamf Pro server on ${emulator.url} (${emulator.fleet.mobileDevices.length} mobile devices, ${emulator.fleet.computers.length} Macs)`,
          `  base URL:        ${emulator.url}`,
          `  client id:       ${emulator.clientId}`,
          `  client secret:   ${emulator.clientSecret}`,
          caLine(emulator.caPath),
          faultsLine(emulator.url, emulator.faults()),
          '  connect Warden to it:',
          curlCreate(`'${JSON.stringify(connection)}'`),
        ],
        stop: () => emulator.stop(),
      };
    }
    case 'android': {
      // Unless --no-retry-after or --retry-after-seconds was given, faults carry no throttleRetryAfter: the
      // emulator then answers 429 without Retry-After, as Google mostly does.
      const emulator = await startAndroidEmulator({
        devices: options.devices,
        seed: options.seed,
        port: options.port,
        pkiDir: options.pkiDir,
        operationLatencyMs: options.actionLatencyMs,
        faults: options.faults,
      });
      const { settings, credentials } = androidEmulatorConnection(emulator);
      fs.mkdirSync(path.dirname(options.keyFile), { recursive: true });
      fs.writeFileSync(options.keyFile, `${JSON.stringify(credentials.key, null, 2)}\n`, { mode: 0o600 });
      const body = {
        name: 'android-sim',
        kind: 'android',
        settings,
        credentials: { type: 'service-account', key: '$key[0]' },
      };
      const jq = `jq -n --slurpfile key ${options.keyFile} '${JSON.stringify(body).replace('"$key[0]"', '$key[0]')}'`;
      return {
        lines: [
          `emulated Android Management API enterprise on ${emulator.url} (${options.devices} devices)`,
          `  root URL:        ${emulator.url}`,
          `  token URI:       ${emulator.tokenUri}`,
          `  enterprise:      ${emulator.enterpriseName}`,
          `  service account: ${credentials.key.client_email} (key file ${options.keyFile})`,
          caLine(emulator.caPath),
          faultsLine(emulator.url, emulator.faults()),
          '  connect Warden to it:',
          curlCreate(`"$(${jq})"`),
        ],
        stop: () => emulator.stop(),
      };
    }
  }
}
