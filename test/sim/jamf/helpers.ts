/**
 * Shared helpers for the Jamf Pro emulator tests: an emulator starter on the shared test PKI, an HTTPS client
 * that trusts the test CA and fetches a token, and ajv validators built from the reference OpenAPI document.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { Agent, fetch } from 'undici';
import { parse } from 'yaml';
import { type JamfEmulator, type JamfEmulatorOptions, startJamfEmulator } from '../../../src/sim/jamf';
import { type RequestBodyOptions, requestBody } from '../../support/request-body';
import { REFERENCE_TIME, TEST_PKI_DIR } from '../graph/helpers';

export { REFERENCE_TIME };

export function startJamf(options: Partial<JamfEmulatorOptions> = {}): Promise<JamfEmulator> {
  return startJamfEmulator({
    pkiDir: TEST_PKI_DIR,
    referenceTime: REFERENCE_TIME,
    mobileDevices: 120,
    commandLatencyMs: null,
    ...options,
  });
}

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or text for other bodies; undefined when empty. */
  body: unknown;
}

export class JamfApi {
  private readonly dispatcher: Agent;
  private token: string | undefined;

  constructor(readonly emulator: JamfEmulator) {
    this.dispatcher = new Agent({ connect: { ca: emulator.caPem } });
  }

  async send(method: string, pathAndQuery: string, options: RequestBodyOptions = {}): Promise<Answer> {
    const { headers, body } = requestBody(options);
    const response = await fetch(`${this.emulator.url}${pathAndQuery}`, {
      method,
      headers,
      body,
      dispatcher: this.dispatcher,
    });
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').includes('json');
    return {
      status: response.status,
      headers: response.headers as unknown as Headers,
      body: text === '' ? undefined : json ? JSON.parse(text) : text,
    };
  }

  async tokenAnswer(secret = this.emulator.clientSecret, tokenPath = '/api/oauth/token'): Promise<Answer> {
    return this.send('POST', tokenPath, {
      form: { grant_type: 'client_credentials', client_id: this.emulator.clientId, client_secret: secret },
    });
  }

  /** An authenticated call (token fetched once). */
  async api(method: string, pathAndQuery: string, options: { json?: unknown; xml?: string } = {}): Promise<Answer> {
    if (!this.token) {
      const answer = await this.tokenAnswer();
      this.token = (answer.body as { access_token: string }).access_token;
    }
    return this.send(method, pathAndQuery, { ...options, headers: { authorization: `Bearer ${this.token}` } });
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}

/** The reference document, copied into the repository's reference/ folder (reference/README.md). */
function referencePath(): string {
  return path.resolve(__dirname, '../../../reference/jamf-pro-openapi.yaml');
}

let ajv: Ajv | null = null;

/**
 * OpenAPI's discriminator picks the oneOf branch by a property's value; ajv does not read `mapping`, and the
 * branches here overlap (every inventory kind accepts the others' records), so a oneOf with a local mapping
 * becomes what the discriminator means: the branch named by the property's value, and only a mapped value.
 */
function resolveDiscriminator(schema: unknown): void {
  const node = schema as {
    discriminator?: { propertyName: string; mapping?: Record<string, string> };
    oneOf?: unknown;
  };
  const mapping = node.discriminator?.mapping;
  if (!mapping || !node.oneOf || !Object.values(mapping).every((ref) => ref.startsWith('#/'))) return;
  const property = node.discriminator!.propertyName;
  delete node.oneOf;
  Object.assign(node, {
    required: [property],
    properties: { [property]: { enum: Object.keys(mapping) } },
    allOf: Object.entries(mapping).map(([value, ref]) => ({
      if: { properties: { [property]: { const: value } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable.
      then: { $ref: `jamf.json${ref}` },
    })),
  });
}

/** A validator for one of the reference's component schemas (OpenAPI 3.0: nullable, examples, x- keys). */
export function referenceSchema(name: string): ValidateFunction {
  if (!ajv) {
    const document = parse(readFileSync(referencePath(), 'utf8'), { maxAliasCount: -1 }) as {
      components: { schemas: Record<string, unknown> };
    };
    for (const schema of Object.values(document.components.schemas)) resolveDiscriminator(schema);
    ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ components: document.components }, 'jamf.json');
  }
  return ajv.compile({ $ref: `jamf.json#/components/schemas/${name}` });
}
