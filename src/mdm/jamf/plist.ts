// Apple XML property lists, the format of a configuration profile's payloads, for the Jamf connector and the
// emulator alike. Reading goes through fast-xml-parser in order-preserving mode (a plist <dict> is an ordered run
// of <key>/value pairs, which a plain object mapping would lose); writing is a few lines of escaping. Only the
// types profiles use: dict, array, string, integer, real, true/false, date (kept as text) and data (as base64).
import { XMLParser } from 'fast-xml-parser';

export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

export class PlistError extends Error {}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function encodeValue(value: PlistValue, indent: string): string {
  const inner = `${indent}  `;
  if (typeof value === 'boolean') return `${indent}<${value}/>`;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? `${indent}<integer>${value}</integer>` : `${indent}<real>${value}</real>`;
  }
  if (typeof value === 'string') return `${indent}<string>${escapeXml(value)}</string>`;
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}<array/>`;
    return `${indent}<array>\n${value.map((v) => encodeValue(v, inner)).join('\n')}\n${indent}</array>`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return `${indent}<dict/>`;
  const body = entries.map(([k, v]) => `${inner}<key>${escapeXml(k)}</key>\n${encodeValue(v, inner)}`).join('\n');
  return `${indent}<dict>\n${body}\n${indent}</dict>`;
}

export function encodePlist(value: PlistValue): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    encodeValue(value, ''),
    '</plist>',
  ].join('\n');
}

type OrderedNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
});

function tagOf(node: OrderedNode): string {
  const tag = Object.keys(node).find((k) => k !== ':@');
  if (!tag) throw new PlistError('empty plist node');
  return tag;
}

function textOf(node: OrderedNode, tag: string): string {
  const children = (node[tag] as OrderedNode[] | undefined) ?? [];
  return children.map((c) => (typeof c['#text'] === 'string' ? c['#text'] : String(c['#text'] ?? ''))).join('');
}

/** Element children only (whitespace text between elements dropped). */
function elements(node: OrderedNode, tag: string): OrderedNode[] {
  return ((node[tag] as OrderedNode[] | undefined) ?? []).filter((c) => tagOf(c) !== '#text');
}

function decodeNode(node: OrderedNode): PlistValue {
  const tag = tagOf(node);
  switch (tag) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'string':
    case 'date':
      return textOf(node, tag);
    case 'data':
      return textOf(node, tag).replace(/\s+/g, '');
    case 'integer':
    case 'real': {
      const number = Number(textOf(node, tag).trim());
      if (!Number.isFinite(number)) throw new PlistError(`<${tag}> holds no number`);
      return number;
    }
    case 'array':
      return elements(node, tag).map(decodeNode);
    case 'dict': {
      const children = elements(node, tag);
      const out: Record<string, PlistValue> = {};
      for (let i = 0; i < children.length; i += 2) {
        const key = children[i]!;
        const value = children[i + 1];
        if (tagOf(key) !== 'key' || !value) throw new PlistError('a <dict> must alternate <key> and value');
        out[textOf(key, 'key')] = decodeNode(value);
      }
      return out;
    }
    default:
      throw new PlistError(`unsupported plist element <${tag}>`);
  }
}

export function decodePlist(text: string): PlistValue {
  let document: OrderedNode[];
  try {
    document = parser.parse(text) as OrderedNode[];
  } catch (error) {
    throw new PlistError(`not a well-formed plist: ${(error as Error).message}`);
  }
  const plist = document.find((n) => tagOf(n) === 'plist');
  if (!plist) throw new PlistError('no <plist> element');
  const [root] = elements(plist, 'plist');
  if (!root) throw new PlistError('an empty <plist>');
  return decodeNode(root);
}
