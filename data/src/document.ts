import type {
  CollectionReference,
  DocumentData,
  DocumentReference,
  DocumentSnapshot,
  Firestore,
  Transaction,
  FirestoreDataConverter,
  Query,
  ReadOptions,
  QueryDocumentSnapshot,
} from "firebase-admin/firestore";
import type { z } from "zod";
import type { WrittenDocument } from "@wa-gateway/core/documents";

/** A stored document that does not match its collection's schema: named by path and field, never a silent undefined. */
export class DocumentSchemaError extends Error {
  constructor(
    readonly path: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${path}: ${field === "" ? "the document" : `field ${field}`} ${detail}`);
    this.name = "DocumentSchemaError";
  }
}

/** Parses `data` stored at `path` with `schema`; the first problem becomes a DocumentSchemaError. */
export function parseDocument<T>(schema: z.ZodType<T>, path: string, data: unknown): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new DocumentSchemaError(path, issue.path.join("."), issue.message);
}

/** Typed references of one kind of document: reads parse with the schema, writes are typed by it. */
export interface DocumentKind<T extends DocumentData> {
  /** Read and update (partial writes are typed by the schema, Dates allowed for Timestamps). */
  ref(db: Firestore, path: string): DocumentReference<T, WrittenDocument<T>>;
  /**
   * Create and set: the whole document as its writer builds it (Dates allowed for Timestamps).
   * The SDK stores a Date as a Timestamp itself, so this is the same reference, typed for writing.
   */
  writeRef(db: Firestore, path: string): DocumentReference<WrittenDocument<T>, WrittenDocument<T>>;
  query(db: Firestore, collectionPath: string): CollectionReference<T, WrittenDocument<T>>;
  /** A raw snapshot judged against the schema: for the operator checks that report bad documents instead of failing. */
  check(path: string, data: unknown): { kind: "valid"; doc: T } | { kind: "malformed"; error: DocumentSchemaError };
  /**
   * Top-level fields of `data` its schema does not declare (none for a schema that lets extra
   * fields through): what reads drop silently, so a writer's undocumented field shows up here.
   */
  undeclared(data: DocumentData): string[];
  /** The converter of the schema's part `fields`: for reads with a field mask. */
  partial<K extends keyof T & string>(...fields: K[]): FirestoreDataConverter<Pick<T, K>, WrittenDocument<Pick<T, K>>>;
  /** A query reading only `fields` (a field mask), parsed with the schema's matching part. */
  select<K extends keyof T & string>(
    query: Query<T, WrittenDocument<T>> | CollectionReference<T, WrittenDocument<T>>,
    ...fields: K[]
  ): Query<Pick<T, K>>;
}

export function documentKind<S extends z.ZodObject>(schema: S): DocumentKind<z.infer<S>> {
  type T = z.infer<S>;
  const converterOf = <M extends DocumentData>(s: z.ZodType<M>): FirestoreDataConverter<M, WrittenDocument<M>> => ({
    toFirestore: (model) => model as unknown as WrittenDocument<M>,
    fromFirestore: (snap: QueryDocumentSnapshot) => parseDocument(s, snap.ref.path, snap.data()),
  });
  const converter = converterOf<T>(schema as unknown as z.ZodType<T>);
  const partial = <K extends keyof T & string>(...fields: K[]) => {
    const mask = Object.fromEntries(fields.map((f) => [f, true])) as Record<string, true>;
    return converterOf(schema.pick(mask as never) as unknown as z.ZodType<Pick<T, K>>);
  };
  return {
    ref: (db, path) => db.doc(path).withConverter(converter),
    writeRef: (db, path) => db.doc(path) as unknown as DocumentReference<WrittenDocument<T>, WrittenDocument<T>>,
    query: (db, collectionPath) => db.collection(collectionPath).withConverter(converter),
    check: (path, data) => {
      try {
        return { kind: "valid", doc: parseDocument(schema as unknown as z.ZodType<T>, path, data) };
      } catch (error) {
        if (error instanceof DocumentSchemaError) return { kind: "malformed", error };
        throw error;
      }
    },
    undeclared: (data) => (schema.def.catchall ? [] : Object.keys(data).filter((field) => !(field in schema.shape))),
    partial,
    select: (query, ...fields) => query.select(...fields).withConverter(partial(...fields)),
  };
}

export type AnyRef = DocumentReference<DocumentData, DocumentData>;
/** Each reference's snapshot, typed by its own collection. */
export type Snapshots<R extends readonly AnyRef[]> = {
  [K in keyof R]: R[K] extends DocumentReference<infer T, DocumentData> ? DocumentSnapshot<T> : never;
};

/**
 * Reads documents of different collections in one round trip (in a transaction or not), each
 * snapshot typed and parsed by its own reference's converter.
 */
export async function readTogether<const R extends readonly AnyRef[]>(
  reader: Firestore | Transaction,
  refs: R,
  options?: ReadOptions,
): Promise<Snapshots<R>> {
  return (await reader.getAll(...refs, ...(options ? [options] : []))) as unknown as Snapshots<R>;
}
