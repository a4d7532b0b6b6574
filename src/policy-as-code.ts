// `warden plan -f policy.yaml` and `warden apply`: policy as code from a repository, through a running Warden's
// HTTP API (WARDEN_URL, WARDEN_TOKEN). plan shows what the file would change in each tenant without saving it;
// apply carries out exactly the plan shown (by id and hash), after a confirmation unless --auto-approve, and the
// file becomes the policy's next version. A plan saved with --out can be applied later with --plan, so a review
// step (a pull request) can approve exactly what is then applied.
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parseAllDocuments } from 'yaml';
import type { components } from './http/api-types';
import { canonicalPolicy, type Policy, policyHash } from './policies/model';

type PolicyPlan = components['schemas']['PolicyPlan'];
type ApplyResult = {
  planId: string;
  policyVersion: number;
  connections: Array<{ connectionId: string; applied: number }>;
};

/** A mistake the user can fix, printed as one line (exit status 2). */
export class PolicyCodeUsageError extends Error {}
/** The server refused or failed (exit status 1). */
export class PolicyCodeFailure extends Error {}

export interface ServerOptions {
  url: string;
  token: string | undefined;
}

/** Reads one policy document (YAML or JSON) from a file. */
export function readPolicyFile(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyCodeUsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents) || documents.length !== 1)
    throw new PolicyCodeUsageError(`${file}: expected exactly one policy document`);
  const [document] = documents;
  if (document!.errors.length > 0)
    throw new PolicyCodeUsageError(`${file}: not valid YAML or JSON: ${document!.errors[0]!.message.split('\n')[0]}`);
  const policy = document!.toJS();
  if (!policy || typeof policy !== 'object' || Array.isArray(policy))
    throw new PolicyCodeUsageError(`${file}: expected a policy (a mapping with name, targets and controls)`);
  if (typeof policy.name !== 'string' || policy.name === '')
    throw new PolicyCodeUsageError(`${file}: the policy has no name`);
  return policy as Policy;
}

/** One call to the Warden API; a problem answer becomes one line naming its detail and field. */
async function call<T>(server: ServerOptions, method: string, path: string, body?: unknown): Promise<T> {
  if (!server.token) throw new PolicyCodeUsageError('no API token: set WARDEN_TOKEN or pass --token');
  let response: Response;
  try {
    response = await fetch(new URL(path, server.url), {
      method,
      headers: {
        authorization: `Bearer ${server.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    const cause = (error as { cause?: Error }).cause;
    throw new PolicyCodeFailure(`cannot reach Warden at ${server.url}: ${cause?.message ?? (error as Error).message}`);
  }
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const problem = parsed as { detail?: string; title?: string; field?: string } | undefined;
    const field = problem?.field ? ` (${problem.field})` : '';
    throw new PolicyCodeFailure(
      `${method} ${path}: ${response.status} ${problem?.detail ?? problem?.title ?? text}${field}`,
    );
  }
  return parsed as T;
}

const show = (value: unknown) => (value === undefined ? 'null' : JSON.stringify(value));

/** The plan in words: per connection, each step and each setting as current -> desired. */
export function renderPlan(plan: PolicyPlan, documentNote: string): string {
  const lines = [`Plan ${plan.id} for policy ${plan.policy}: ${documentNote}`];
  for (const connection of plan.connections) {
    lines.push('', `${connection.connectionName}: ${connection.summary}`);
    if (connection.error) lines.push(`  ${connection.error.kind}: ${connection.error.message}`);
    for (const step of connection.steps) {
      if (step.action === 'no-change') continue;
      const sign = step.action === 'create' ? '+' : step.action === 'delete' ? '-' : '~';
      lines.push(`  ${sign} ${step.action} ${step.key} (${step.collection}) "${step.displayName}"`);
      for (const change of step.changes ?? [])
        lines.push(`      ${change.setting}: ${show(change.current)} -> ${show(change.desired)}`);
    }
    for (const u of connection.unenforceable)
      lines.push(`  not enforceable: ${u.control} on ${u.platform}: ${u.reason}`);
    if (connection.reportOnly.length > 0) lines.push(`  report only: ${connection.reportOnly.join(', ')}`);
  }
  if (plan.connections.length === 0) lines.push('', 'No connection is targeted by this policy.');
  return `${lines.join('\n')}\n`;
}

/** Whether the file differs from the saved policy, in words. */
async function documentNote(server: ServerOptions, policy: Policy): Promise<{ note: string; changed: boolean }> {
  try {
    const saved = await call<{ version: number; hash: string }>(
      server,
      'GET',
      `/v1/policies/${encodeURIComponent(policy.name)}`,
    );
    return saved.hash === policyHash(canonicalPolicy(policy))
      ? { note: `the file equals version ${saved.version}`, changed: false }
      : { note: `the file would become version ${saved.version + 1}`, changed: true };
  } catch (error) {
    if (error instanceof PolicyCodeFailure && / 404 /.test(error.message))
      return { note: 'a new policy; the file would become version 1', changed: true };
    throw error;
  }
}

async function planFile(server: ServerOptions, file: string, reason: string) {
  const policy = readPolicyFile(file);
  const { note, changed } = await documentNote(server, policy);
  const plan = await call<PolicyPlan>(server, 'POST', `/v1/policies/${encodeURIComponent(policy.name)}/plan`, {
    policy,
    reason,
  });
  const tenantChanges = plan.connections.some((c) => c.status === 'planned' && c.summary !== 'no changes');
  return { plan, note, changes: changed || tenantChanges };
}

/** A plan with a tenant that could not be read, or cannot take the policy, is shown but cannot be applied. */
function refuseUnknown(plan: PolicyPlan): void {
  const blind = plan.connections.filter((c) => c.status === 'unknown').map((c) => c.connectionName);
  if (blind.length > 0)
    throw new PolicyCodeFailure(`could not read ${blind.join(', ')}: the plan is incomplete and cannot be applied`);
  const invalid = plan.connections.filter((c) => c.status === 'invalid').map((c) => c.connectionName);
  if (invalid.length > 0)
    throw new PolicyCodeFailure(`${invalid.join(', ')} cannot take this policy as written: see the plan above`);
}

export async function planCommand(
  server: ServerOptions,
  options: { file: string; reason?: string; out?: string; json?: boolean },
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const { plan, note } = await planFile(server, options.file, options.reason ?? `planned from ${options.file}`);
  out.write(options.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan, note));
  if (options.out)
    writeFileSync(
      options.out,
      `${JSON.stringify({ policy: plan.policy, planId: plan.id, hash: plan.hash }, null, 2)}\n`,
    );
  refuseUnknown(plan);
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY)
    throw new PolicyCodeUsageError('not a terminal: pass --auto-approve to apply without a prompt');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await prompt.question(question)).trim() === 'yes';
  } finally {
    prompt.close();
  }
}

export async function applyCommand(
  server: ServerOptions,
  options: { file?: string; plan?: string; reason?: string; autoApprove?: boolean },
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  if ((options.file === undefined) === (options.plan === undefined))
    throw new PolicyCodeUsageError('give either -f <policy file> or --plan <saved plan file>');
  let target: { policy: string; planId: string; hash: string };
  if (options.plan) {
    // A plan reviewed earlier: applied as it was saved; the server refuses it if anything moved since.
    let saved: { policy?: unknown; planId?: unknown; hash?: unknown };
    try {
      saved = JSON.parse(readFileSync(options.plan, 'utf8'));
    } catch (error) {
      throw new PolicyCodeUsageError(`cannot read the plan ${options.plan}: ${(error as Error).message}`);
    }
    if (typeof saved.policy !== 'string' || typeof saved.planId !== 'string' || typeof saved.hash !== 'string')
      throw new PolicyCodeUsageError(`${options.plan}: not a plan written by "warden plan --out"`);
    target = { policy: saved.policy, planId: saved.planId, hash: saved.hash };
  } else {
    const { plan, note, changes } = await planFile(
      server,
      options.file!,
      options.reason ?? `applied from ${options.file}`,
    );
    out.write(renderPlan(plan, note));
    refuseUnknown(plan);
    if (!changes) {
      out.write('\nNothing to apply: the file equals the saved policy and every tenant holds it.\n');
      return;
    }
    if (!options.autoApprove && !(await confirm('\nApply this plan? Only "yes" applies it: '))) {
      out.write('Not applied.\n');
      return;
    }
    target = { policy: plan.policy, planId: plan.id, hash: plan.hash };
  }
  const result = await call<ApplyResult>(server, 'POST', `/v1/policies/${encodeURIComponent(target.policy)}/apply`, {
    planId: target.planId,
    hash: target.hash,
  });
  const made = result.connections.reduce((n, c) => n + c.applied, 0);
  out.write(
    `\nApplied plan ${result.planId}: policy ${target.policy} is at version ${result.policyVersion}; ` +
      `${made} native change${made === 1 ? '' : 's'} made.\n`,
  );
}
