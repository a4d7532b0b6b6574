/**
 * MDM commands on the emulated Jamf Pro server: `POST /v2/mdm/commands` queues one command per client
 * (201 `[{id, href}]`), `GET /v2/mdm/commands?filter=` lists them (a filter is required, as in Jamf), and a
 * command stays PENDING until the device "checks in": after `latencyMs`, or when a test completes every
 * pending command. Also unmanaging (`POST /v2/mobile-devices/{id}/unmanage`, and for Macs
 * `POST /v1/computer-inventory/{id}/remove-mdm-profile`): newer Jamf Pro endpoints than the reference
 * document; the record turns unmanaged at once, as Jamf shows it, while the device removes its MDM profile.
 */
import { randomUUID } from 'node:crypto';
import type { components } from '../../mdm/jamf/api-types';
import type { JamfFleet } from './fleet';
import { apiError, intParam, type JamfRequest, type JamfResponse } from './http';
import { matchesRsql, parseRsql, RsqlError } from './rsql';
import type { JamfStatsRecorder } from './stats';

type MdmCommand = components['schemas']['MdmCommand'];
type MdmCommandType = components['schemas']['MdmCommandType'];
type MdmCommandRequest = components['schemas']['MdmCommandRequest'];
type HrefResponse = components['schemas']['HrefResponse'];

const COMMAND_TYPES: ReadonlySet<string> = new Set<MdmCommandType>([
  'CLEAR_RESTRICTIONS_PASSWORD',
  'DECLARATIVE_MANAGEMENT',
  'DELETE_USER',
  'DEVICE_LOCK',
  'ENABLE_LOST_MODE',
  'ERASE_DEVICE',
  'LOG_OUT_USER',
  'RESTART_DEVICE',
  'SETTINGS',
  'SET_RECOVERY_LOCK',
  'SET_AUTO_ADMIN_PASSWORD',
  'SHUT_DOWN_DEVICE',
  'DEVICE_INFORMATION',
]);

interface StoredCommand {
  uuid: string;
  managementId: string;
  clientType: 'MOBILE_DEVICE' | 'COMPUTER';
  commandType: MdmCommandType;
  sentAt: number;
  state: 'PENDING' | 'ACKNOWLEDGED';
}

const FILTER_FIELDS: Record<string, (c: StoredCommand) => string> = {
  uuid: (c) => c.uuid,
  clientManagementId: (c) => c.managementId,
  command: (c) => c.commandType,
  status: (c) => c.state,
  clientType: (c) => c.clientType,
};

export class CommandQueue {
  private readonly commands: StoredCommand[] = [];

  constructor(
    private readonly fleet: JamfFleet,
    private readonly stats: JamfStatsRecorder,
    /** null: commands complete only when told (completePending). */
    private readonly latencyMs: number | null,
    private readonly origin: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  create(request: JamfRequest): JamfResponse {
    let body: MdmCommandRequest;
    try {
      body = JSON.parse(request.body) as MdmCommandRequest;
    } catch {
      return apiError(400, 'INVALID_JSON', 'The request body is not valid JSON');
    }
    const commandType = (body.commandData as { commandType?: unknown } | undefined)?.commandType;
    if (typeof commandType !== 'string' || !COMMAND_TYPES.has(commandType)) {
      return apiError(400, 'INVALID_FIELD', 'commandData.commandType is missing or unknown', 'commandData.commandType');
    }
    const clients = body.clientData ?? [];
    if (clients.length === 0) return apiError(400, 'INVALID_FIELD', 'clientData must not be empty', 'clientData');
    const targets = clients.map((c) => (c.managementId ? this.fleet.byManagementId(c.managementId) : undefined));
    const unknown = clients.findIndex((_, i) => !targets[i]);
    if (unknown >= 0) {
      return apiError(
        400,
        'INVALID_MANAGEMENT_ID',
        'No managed client has this managementId',
        `clientData[${unknown}]`,
      );
    }
    const created: HrefResponse[] = targets.map((target) => {
      const uuid = randomUUID();
      const managementId = target!.device.managementId;
      this.commands.push({
        uuid,
        managementId,
        clientType: target!.kind === 'mobile' ? 'MOBILE_DEVICE' : 'COMPUTER',
        commandType: commandType as MdmCommandType,
        sentAt: this.now(),
        state: 'PENDING',
      });
      this.stats.command(managementId, commandType);
      return { id: uuid, href: `${this.origin()}/api/v2/mdm/commands?filter=uuid==${uuid}` };
    });
    return { status: 201, body: created };
  }

  list(request: JamfRequest): JamfResponse {
    this.settle();
    const filter = request.query.get('filter') ?? '';
    if (filter.trim() === '') return apiError(400, 'INVALID_RSQL_FILTER', 'A filter is required', 'filter');
    let matching: StoredCommand[];
    try {
      const query = parseRsql(filter, new Set(Object.keys(FILTER_FIELDS)));
      matching = this.commands.filter((c) => matchesRsql(query, c, (command, f) => FILTER_FIELDS[f]!(command)));
    } catch (error) {
      if (error instanceof RsqlError) return apiError(400, 'INVALID_RSQL_FILTER_FIELD', error.message, 'filter');
      throw error;
    }
    // Jamf's default order is dateSent:asc; dateSent:desc puts the latest first (what a status check wants).
    if (request.query.getAll('sort').join(',') === 'dateSent:desc') matching.reverse();
    const page = intParam(request.query, 'page', 0);
    const pageSize = intParam(request.query, 'page-size', 100);
    if (Number.isNaN(page) || Number.isNaN(pageSize) || pageSize < 1) {
      return apiError(400, 'INVALID_PARAMETER', 'page and page-size must be whole numbers');
    }
    const results: MdmCommand[] = matching.slice(page * pageSize, (page + 1) * pageSize).map((c) => ({
      uuid: c.uuid,
      dateSent: new Date(c.sentAt).toISOString(),
      client: { managementId: c.managementId, clientType: c.clientType },
      commandState: c.state,
      commandType: c.commandType,
    }));
    return { status: 200, body: { totalCount: matching.length, results } };
  }

  unmanageMobileDevice(id: string): JamfResponse {
    const device = this.fleet.mobileDevice(id);
    if (!device) return apiError(404, 'INVALID_ID', `Mobile device ${id} does not exist`, 'id');
    this.stats.unmanage(`mobile:${id}`);
    device.managed = false;
    return { status: 204 };
  }

  removeComputerMdmProfile(id: string): JamfResponse {
    const computer = this.fleet.computer(id);
    if (!computer) return apiError(404, 'INVALID_ID', `Computer ${id} does not exist`, 'id');
    this.stats.unmanage(`computer:${id}`);
    computer.managed = false;
    return { status: 204 };
  }

  /** Every pending command is acknowledged, as if each device checked in now. */
  completePending(): number {
    let completed = 0;
    for (const command of this.commands) {
      if (command.state === 'PENDING') {
        command.state = 'ACKNOWLEDGED';
        completed++;
      }
    }
    return completed;
  }

  private settle(): void {
    if (this.latencyMs === null) return;
    const due = this.now() - this.latencyMs;
    for (const command of this.commands)
      if (command.state === 'PENDING' && command.sentAt <= due) command.state = 'ACKNOWLEDGED';
  }
}
