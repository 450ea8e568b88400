/**
 * The key/value field API of one agent: small JSON values (settings, counters, cursors)
 * kept in the store and captured atomically into every snapshot of that agent.
 */
import type { Catalog, JsonValue } from '../snapshot/index.js';
import { assertAgentId } from '../snapshot/index.js';

/** Fields of one agent. Writes are immediate and durable; the next capture records them. */
export class AgentFields {
  constructor(
    private readonly catalog: Catalog,
    readonly agent: string,
  ) {
    assertAgentId(agent);
  }

  /** Sets one field. @throws InvalidArgumentError for a bad key. */
  save(key: string, value: JsonValue): void {
    this.catalog.saveField(this.agent, key, value);
  }

  /** One field. @throws NotFoundError when it is not set. */
  load(key: string): JsonValue {
    return this.catalog.loadField(this.agent, key);
  }

  /** All fields by key. */
  loadAll(): Record<string, JsonValue> {
    return this.catalog.loadAllFields(this.agent);
  }

  /** Replaces all fields at once (atomic). */
  saveAll(values: Readonly<Record<string, JsonValue>>): void {
    this.catalog.saveAllFields(this.agent, values);
  }

  /** Removes a field; returns whether it existed. */
  delete(key: string): boolean {
    return this.catalog.deleteField(this.agent, key);
  }

  /** Whether a field is set. */
  exists(key: string): boolean {
    return this.catalog.fieldExists(this.agent, key);
  }
}
