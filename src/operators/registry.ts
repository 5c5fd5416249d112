import { readFileSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { operatorFailure } from '../core/operator-failures.js';
import { WALLET_OPERATOR, operatorById } from '../core/operators.js';
import type {
  CreditRequest,
  DebitOutcome,
  DebitRequest,
  OperatorAction,
  OperatorConnector,
  OperatorNotification,
  OperatorOutcome,
  RawNotification,
  RefundRequest,
} from './connector.js';
import { ConnectorConfigError, Settings } from './secrets.js';

/**
 * Production's operators (ADR 0009): one connector module per operator API, each built from an
 * entry of the connectors file (`CAURI_CONNECTORS_FILE`):
 *
 *   {"connectors": [{"type": "mtn-momo", "operators": ["15"], "settings": {…}}]}
 *
 * An operator no entry names has no connector: it is unavailable, and requests to it are refused
 * before any money is held. The simulator never appears here.
 */
export interface ConnectorDeps {
  /** Bound of one operator call (CAURI_OPERATOR_TIMEOUT_MS). */
  timeoutMs: number;
  clock: Clock;
  /** Where operators send their notifications: `${publicUrl}/operators/${operatorId}/notify`. */
  publicUrl: string;
  env: NodeJS.ProcessEnv;
}

export interface ConnectorFactory {
  /** The `type` of a connectors-file entry. */
  readonly type: string;
  /** Catalogue operator ids this API can serve (spec §5). */
  readonly operators: readonly string[];
  /** Builds the connector; throws ConnectorConfigError with a one-line reason for bad settings. */
  create(settings: Settings, operators: readonly string[], deps: ConnectorDeps): OperatorConnector;
}

export const CONNECTOR_ENTRIES_MAX = 32;

export function notifyUrl(publicUrl: string, operatorId: string): string {
  return `${publicUrl}/operators/${encodeURIComponent(operatorId)}/notify`;
}

/** Builds the router from the parsed connectors file. */
export function connectorsFromJson(
  json: unknown,
  factories: readonly ConnectorFactory[],
  deps: ConnectorDeps,
): OperatorRouter {
  if (
    json === null ||
    typeof json !== 'object' ||
    !Array.isArray((json as { connectors?: unknown }).connectors)
  ) {
    throw new ConnectorConfigError('the connectors file must be {"connectors": [...]}');
  }
  const entries = (json as { connectors: unknown[] }).connectors;
  if (entries.length > CONNECTOR_ENTRIES_MAX)
    throw new ConnectorConfigError(`at most ${CONNECTOR_ENTRIES_MAX} connectors`);
  const byOperator = new Map<string, OperatorConnector>();
  entries.forEach((entry, index) => {
    const where = `connectors[${index}]`;
    if (entry === null || typeof entry !== 'object')
      throw new ConnectorConfigError(`${where} must be an object`);
    const { type, operators, settings } = entry as {
      type?: unknown;
      operators?: unknown;
      settings?: unknown;
    };
    const factory = factories.find((f) => f.type === type);
    if (factory === undefined)
      throw new ConnectorConfigError(
        `${where}.type must be one of ${factories.map((f) => f.type).join(', ')}`,
      );
    if (
      !Array.isArray(operators) ||
      operators.length === 0 ||
      !operators.every((id): id is string => typeof id === 'string')
    ) {
      throw new ConnectorConfigError(`${where}.operators must be a non-empty list of operator ids`);
    }
    for (const id of operators) {
      if (id === WALLET_OPERATOR.id || operatorById(id) === undefined)
        throw new ConnectorConfigError(
          `${where}.operators: ${id} is not a mobile-money operator of the catalogue`,
        );
      if (!factory.operators.includes(id))
        throw new ConnectorConfigError(
          `${where}.operators: ${factory.type} does not serve operator ${id} (it serves ${factory.operators.join(', ')})`,
        );
      if (byOperator.has(id))
        throw new ConnectorConfigError(`${where}.operators: operator ${id} already has a connector`);
    }
    const raw = settings === undefined ? {} : settings;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new ConnectorConfigError(`${where}.settings must be an object`);
    const connector = factory.create(
      new Settings(raw as Record<string, unknown>, `${where}.settings`, deps.env),
      operators,
      deps,
    );
    for (const id of operators) byOperator.set(id, connector);
  });
  return new OperatorRouter(byOperator);
}

export function connectorsFromFile(
  file: string | undefined,
  factories: readonly ConnectorFactory[],
  deps: ConnectorDeps,
): OperatorRouter {
  if (file === undefined || file === '') return new OperatorRouter(new Map());
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConnectorConfigError(`CAURI_CONNECTORS_FILE ${file} cannot be read`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConnectorConfigError(`CAURI_CONNECTORS_FILE ${file} is not JSON`);
  }
  try {
    return connectorsFromJson(json, factories, deps);
  } catch (error) {
    if (error instanceof ConnectorConfigError)
      throw new ConnectorConfigError(`CAURI_CONNECTORS_FILE ${file}: ${error.message}`);
    throw error;
  }
}

const unavailable = (operatorId: string): OperatorOutcome =>
  operatorFailure('operator_unavailable', `no connector for operator ${operatorId}`);

/**
 * One connector per operator behind the gateway's single `OperatorConnector`. Commands ask
 * `serves` before holding money; the fallbacks below only catch work queued before a connector was
 * removed from the configuration, and they never claim a success.
 */
export class OperatorRouter implements OperatorConnector {
  constructor(private readonly byOperator: ReadonlyMap<string, OperatorConnector>) {}

  /** The operators with a connector, for start-up messages. */
  operatorIds(): string[] {
    return [...this.byOperator.keys()].sort((a, b) => Number(a) - Number(b));
  }

  serves(operatorId: string, action: OperatorAction): boolean {
    const connector = this.byOperator.get(operatorId);
    if (connector === undefined) return false;
    if (action === 'debit' && connector.requestDebit === undefined) return false;
    return connector.serves?.(operatorId, action) ?? true;
  }

  requestCredit(request: CreditRequest): Promise<OperatorOutcome> {
    const connector = this.byOperator.get(request.operatorId);
    return connector ? connector.requestCredit(request) : Promise.resolve(unavailable(request.operatorId));
  }

  queryStatus(reference: string, operatorId: string, operatorState?: string): Promise<OperatorOutcome> {
    const connector = this.byOperator.get(operatorId);
    // Unknown is pending, never failed: money already sent must not be released by a config change.
    return connector
      ? connector.queryStatus(reference, operatorId, operatorState)
      : Promise.resolve({ state: 'pending' });
  }

  requestDebit(request: DebitRequest): Promise<DebitOutcome> {
    const connector = this.byOperator.get(request.operatorId);
    if (connector?.requestDebit === undefined) return Promise.resolve(unavailable(request.operatorId));
    return connector.requestDebit(request);
  }

  parseNotification(operatorId: string, raw: RawNotification): OperatorNotification | undefined {
    return this.byOperator.get(operatorId)?.parseNotification?.(operatorId, raw);
  }

  refunds(operatorId: string, partial: boolean): boolean {
    const connector = this.byOperator.get(operatorId);
    return connector?.refund !== undefined && (connector.refunds?.(operatorId, partial) ?? true);
  }

  refund(request: RefundRequest): Promise<OperatorOutcome> {
    const connector = this.byOperator.get(request.operatorId);
    if (connector?.refund === undefined) return Promise.resolve(unavailable(request.operatorId));
    return connector.refund(request);
  }

  queryRefund(request: RefundRequest): Promise<OperatorOutcome> {
    const connector = this.byOperator.get(request.operatorId);
    return connector?.queryRefund ? connector.queryRefund(request) : Promise.resolve({ state: 'pending' });
  }

  async close(): Promise<void> {
    for (const connector of new Set(this.byOperator.values())) await connector.close?.();
  }
}
