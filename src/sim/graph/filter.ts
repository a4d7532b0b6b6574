/**
 * $filter for the emulated collections: a parser for the OData subset Graph's Intune and directory
 * endpoints accept (comparisons, contains/startswith/endswith, and/or, parentheses), validated against
 * what each collection documents (an unlisted property, operator or a literal of the wrong type is a
 * 400, as on Graph), and an evaluator for the parsed tree.
 */
import { ODataError } from './odata';

export type FilterValueType = 'string' | 'enum' | 'dateTime' | 'boolean';
export type ComparisonOperator = 'eq' | 'ne' | 'lt' | 'gt' | 'le' | 'ge';
export type FilterFunction = 'contains' | 'startswith' | 'endswith';

export interface FilterableProperty {
  type: FilterValueType;
  operators: readonly (ComparisonOperator | FilterFunction)[];
  enumMembers?: readonly string[];
}

/** What $filter may use on one entity set, plus the names the entity type has at all. */
export interface FilterCapabilities {
  entityType: string;
  properties: Record<string, FilterableProperty>;
  allProperties: readonly string[];
  allowAnd: boolean;
}

type Literal =
  | { type: 'string'; value: string }
  | { type: 'dateTime'; value: number; text: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' };

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'compare'; operator: ComparisonOperator; property: string; literal: Literal }
  | { kind: 'call'; name: FilterFunction; property: string; literal: Literal };

type Token = { kind: 'word' | 'string' | 'punct'; text: string };

const COMPARISONS = new Set<string>(['eq', 'ne', 'lt', 'gt', 'le', 'ge']);
const FUNCTIONS = new Set<string>(['contains', 'startswith', 'endswith']);
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (/\s/.test(char)) {
      i++;
    } else if (char === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new ODataError(`Syntax error: unterminated string literal in '${text}'.`);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      tokens.push({ kind: 'string', text: value });
    } else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: 'punct', text: char });
      i++;
    } else {
      const match = /^[^\s(),']+/.exec(text.slice(i));
      const word = match?.[0] ?? char;
      tokens.push({ kind: 'word', text: word });
      i += word.length;
    }
  }
  return tokens;
}

/** Parses and validates a $filter expression against what the entity set supports. */
export function parseFilter(text: string, capabilities: FilterCapabilities): FilterNode {
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => {
    const token = tokens[position++];
    if (!token) throw new ODataError(`Syntax error: unexpected end of $filter '${text}'.`);
    return token;
  };
  const expect = (punct: string) => {
    const token = next();
    if (token.kind !== 'punct' || token.text !== punct) {
      throw new ODataError(`Syntax error: '${punct}' expected at position ${position} in '${text}'.`);
    }
  };

  const property = (): string => {
    const token = next();
    if (token.kind !== 'word') throw new ODataError(`Syntax error: property name expected in '${text}'.`);
    if (!capabilities.allProperties.includes(token.text)) {
      throw new ODataError(`Could not find a property named '${token.text}' on type '${capabilities.entityType}'.`);
    }
    return token.text;
  };

  const literal = (): Literal => {
    const token = next();
    if (token.kind === 'string') return { type: 'string', value: token.text };
    if (token.kind === 'word') {
      if (token.text === 'true' || token.text === 'false') return { type: 'boolean', value: token.text === 'true' };
      if (token.text === 'null') return { type: 'null' };
      if (DATE_TIME.test(token.text)) return { type: 'dateTime', value: Date.parse(token.text), text: token.text };
    }
    throw new ODataError(`Syntax error: literal expected, found '${token.text}' in '${text}'.`);
  };

  const primary = (): FilterNode => {
    const token = peek();
    if (token?.kind === 'punct' && token.text === '(') {
      next();
      const inner = orExpression();
      expect(')');
      return inner;
    }
    if (token?.kind === 'word' && FUNCTIONS.has(token.text.toLowerCase())) {
      next();
      const name = token.text.toLowerCase() as FilterFunction;
      expect('(');
      const target = property();
      expect(',');
      const value = literal();
      expect(')');
      return checked({ kind: 'call', name, property: target, literal: value }, capabilities);
    }
    if (token?.kind === 'word' && token.text === 'not') {
      throw new ODataError("The query specified in the URI is not valid. The 'not' operator is not supported.");
    }
    const name = property();
    const operatorToken = next();
    if (operatorToken.kind !== 'word' || !COMPARISONS.has(operatorToken.text)) {
      throw new ODataError(`Syntax error: unsupported operator '${operatorToken.text}' in '${text}'.`);
    }
    const operator = operatorToken.text as ComparisonOperator;
    return checked({ kind: 'compare', operator, property: name, literal: literal() }, capabilities);
  };

  const andExpression = (): FilterNode => {
    let left = primary();
    while (peek()?.kind === 'word' && peek()?.text === 'and') {
      if (!capabilities.allowAnd) throw new ODataError("The 'and' operator is not supported on this resource.");
      next();
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  };

  const orExpression = (): FilterNode => {
    let left = andExpression();
    while (peek()?.kind === 'word' && peek()?.text === 'or') {
      next();
      left = { kind: 'or', left, right: andExpression() };
    }
    return left;
  };

  if (tokens.length === 0) throw new ODataError('The $filter expression is empty.');
  const tree = orExpression();
  if (position < tokens.length) {
    throw new ODataError(`Syntax error at position ${position}: unexpected '${tokens[position]?.text}' in '${text}'.`);
  }
  return tree;
}

/** Rejects what the entity set does not support: unfilterable property, operator, or a literal of the wrong type. */
function checked(node: FilterNode & { property: string }, capabilities: FilterCapabilities): FilterNode {
  const spec = capabilities.properties[node.property];
  const operator = node.kind === 'compare' ? node.operator : node.kind === 'call' ? node.name : '';
  if (!spec?.operators.includes(operator as ComparisonOperator)) {
    throw new ODataError(
      `Invalid filter clause: filtering on '${node.property}' with '${operator}' is not supported on '${capabilities.entityType}'.`,
    );
  }
  if (node.kind === 'compare' || node.kind === 'call') {
    const { literal } = node;
    const expected = spec.type === 'enum' ? 'string' : spec.type;
    if (literal.type !== expected && literal.type !== 'null') {
      const found = literal.type === 'string' ? 'Edm.String' : `Edm.${literal.type}`;
      throw new ODataError(
        `A binary operator with incompatible types was detected. Found operand types '${edmOf(spec.type)}' and '${found}' for operator kind '${operator}'.`,
      );
    }
    if (spec.type === 'enum' && literal.type === 'string' && !spec.enumMembers?.includes(literal.value)) {
      throw new ODataError(`The string '${literal.value}' is not a valid enumeration type constant.`);
    }
  }
  return node;
}

function edmOf(type: FilterValueType): string {
  return { string: 'Edm.String', enum: 'Edm.String', dateTime: 'Edm.DateTimeOffset', boolean: 'Edm.Boolean' }[type];
}

/** Evaluates a parsed filter. Strings compare case-insensitively, as the Intune and directory services do. */
export function matchesFilter(node: FilterNode, entity: object): boolean {
  switch (node.kind) {
    case 'and':
      return matchesFilter(node.left, entity) && matchesFilter(node.right, entity);
    case 'or':
      return matchesFilter(node.left, entity) || matchesFilter(node.right, entity);
    case 'call': {
      const value = (entity as Record<string, unknown>)[node.property];
      if (typeof value !== 'string' || node.literal.type !== 'string') return false;
      const haystack = value.toLowerCase();
      const needle = node.literal.value.toLowerCase();
      if (node.name === 'contains') return haystack.includes(needle);
      return node.name === 'startswith' ? haystack.startsWith(needle) : haystack.endsWith(needle);
    }
    case 'compare':
      return compare(node.operator, (entity as Record<string, unknown>)[node.property], node.literal);
  }
}

function compare(operator: ComparisonOperator, value: unknown, literal: Literal): boolean {
  let order: number;
  if (literal.type === 'null') order = value === null || value === undefined ? 0 : 1;
  else if (literal.type === 'dateTime') order = Math.sign(Date.parse(String(value)) - literal.value);
  else if (literal.type === 'boolean') order = value === literal.value ? 0 : 1;
  else {
    if (typeof value !== 'string') return operator === 'ne';
    order = value.toLowerCase().localeCompare(literal.value.toLowerCase());
  }
  switch (operator) {
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    case 'lt':
      return order < 0;
    case 'gt':
      return order > 0;
    case 'le':
      return order <= 0;
    case 'ge':
      return order >= 0;
  }
}
