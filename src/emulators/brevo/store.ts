import { isoMillis } from '../common/clock.js';
import { defaultAttributes } from './attributeValues.js';
import { PHONE_ATTRIBUTES, type PhoneAttribute } from './phone.js';
import type { Attribute, Contact, ContactList, Folder, ProcessRecord, StoredEvent } from './types.js';

/** What `GET /_emulator/brevo/state` and `BrevoEmulator.state()` return. */
export interface BrevoState {
  contacts: {
    id: number;
    email: string | null;
    ext_id: string | null;
    attributes: Record<string, unknown>;
    listIds: number[];
    emailBlacklisted: boolean;
    smsBlacklisted: boolean;
    whatsappBlacklisted: boolean;
    createdAt: string;
    modifiedAt: string;
  }[];
  lists: { id: number; name: string; folderId: number; contactIds: number[] }[];
  folders: { id: number; name: string }[];
  events: StoredEvent[];
  attributes: Attribute[];
  processes: ProcessView[];
}

export interface ProcessView {
  id: number;
  name: string;
  status: string;
  created_at: string;
  completed_at?: string;
  info?: ProcessRecord['info'];
  error?: string;
  export_url?: string;
}

/**
 * The in-memory Brevo account. Contacts are indexed by id, email (lower-cased), ext_id and each phone identifier
 * (E.164), so every request is O(1) in the number of contacts; events are appended.
 */
export class BrevoStore {
  readonly contacts = new Map<number, Contact>();
  readonly attributes = new Map<string, Attribute>();
  readonly folders = new Map<number, Folder>();
  readonly lists = new Map<number, ContactList>();
  readonly processes = new Map<number, ProcessRecord>();
  events: StoredEvent[] = [];
  private readonly byEmail = new Map<string, number>();
  private readonly byExtId = new Map<string, number>();
  private readonly byPhone = new Map<PhoneAttribute, Map<string, number>>(PHONE_ATTRIBUTES.map((a) => [a, new Map()]));
  private seq = { contact: 1, list: 1, folder: 1, process: 1 };

  constructor(private readonly now: () => number) {
    this.reset();
  }

  reset(): void {
    this.contacts.clear();
    this.attributes.clear();
    this.folders.clear();
    this.lists.clear();
    this.processes.clear();
    this.events = [];
    this.byEmail.clear();
    this.byExtId.clear();
    for (const m of this.byPhone.values()) m.clear();
    this.seq = { contact: 1, list: 1, folder: 1, process: 1 };
    for (const a of defaultAttributes()) this.attributes.set(a.name, a);
    // Every Brevo account starts with one folder.
    this.createFolder('Your first folder');
  }

  // ---- contacts ----
  get(id: number): Contact | undefined {
    return this.contacts.get(id);
  }
  findByEmail(email: string): Contact | undefined {
    const id = this.byEmail.get(email.trim().toLowerCase());
    return id === undefined ? undefined : this.contacts.get(id);
  }
  findByExtId(extId: string): Contact | undefined {
    const id = this.byExtId.get(extId);
    return id === undefined ? undefined : this.contacts.get(id);
  }
  /** `e164` must already be normalised. */
  findByPhone(attr: PhoneAttribute, e164: string): Contact | undefined {
    const id = this.byPhone.get(attr)?.get(e164);
    return id === undefined ? undefined : this.contacts.get(id);
  }

  newContact(): Contact {
    const t = this.now();
    const c: Contact = {
      id: this.seq.contact++,
      attributes: {},
      listIds: new Set(),
      emailBlacklisted: false,
      smsBlacklisted: false,
      whatsappBlacklisted: false,
      smtpBlacklistSender: [],
      createdAt: t,
      modifiedAt: t,
    };
    this.contacts.set(c.id, c);
    return c;
  }

  setEmail(c: Contact, email: string | undefined): void {
    if (c.email !== undefined) this.byEmail.delete(c.email);
    if (email === undefined) delete c.email;
    else {
      c.email = email.trim().toLowerCase();
      this.byEmail.set(c.email, c.id);
    }
  }
  setExtId(c: Contact, extId: string | undefined): void {
    if (c.ext_id !== undefined) this.byExtId.delete(c.ext_id);
    if (extId === undefined) delete c.ext_id;
    else {
      c.ext_id = extId;
      this.byExtId.set(extId, c.id);
    }
  }
  setPhone(c: Contact, attr: PhoneAttribute, e164: string | undefined): void {
    const idx = this.byPhone.get(attr) as Map<string, number>;
    const old = c.attributes[attr];
    if (typeof old === 'string') idx.delete(old);
    if (e164 === undefined) delete c.attributes[attr];
    else {
      c.attributes[attr] = e164;
      idx.set(e164, c.id);
    }
  }

  deleteContact(c: Contact): void {
    this.setEmail(c, undefined);
    this.setExtId(c, undefined);
    for (const a of PHONE_ATTRIBUTES) this.setPhone(c, a, undefined);
    for (const l of c.listIds) this.lists.get(l)?.contactIds.delete(c.id);
    this.contacts.delete(c.id);
  }

  addToList(c: Contact, listId: number): boolean {
    const l = this.lists.get(listId);
    if (!l || l.contactIds.has(c.id)) return false;
    l.contactIds.add(c.id);
    c.listIds.add(listId);
    return true;
  }
  removeFromList(c: Contact, listId: number): boolean {
    const l = this.lists.get(listId);
    if (!l || !l.contactIds.has(c.id)) return false;
    l.contactIds.delete(c.id);
    c.listIds.delete(listId);
    return true;
  }

  // ---- lists and folders ----
  createFolder(name: string): Folder {
    const f: Folder = { id: this.seq.folder++, name, createdAt: this.now() };
    this.folders.set(f.id, f);
    return f;
  }
  createList(name: string, folderId: number): ContactList {
    const l: ContactList = { id: this.seq.list++, name, folderId, contactIds: new Set(), createdAt: this.now() };
    this.lists.set(l.id, l);
    return l;
  }
  deleteList(id: number): void {
    const l = this.lists.get(id);
    if (!l) return;
    for (const cid of l.contactIds) this.contacts.get(cid)?.listIds.delete(id);
    this.lists.delete(id);
  }
  /** "Deleting a folder deletes its lists" (brevo.md §2.6). */
  deleteFolder(id: number): void {
    for (const l of [...this.lists.values()]) if (l.folderId === id) this.deleteList(l.id);
    this.folders.delete(id);
  }

  newProcessId(): number {
    return this.seq.process++;
  }

  // ---- views ----
  processView(p: ProcessRecord): ProcessView {
    return {
      id: p.id,
      name: p.name,
      status: p.status,
      created_at: isoMillis(p.createdAt),
      ...(p.completedAt !== undefined ? { completed_at: isoMillis(p.completedAt) } : {}),
      ...(p.info ? { info: p.info } : {}),
      ...(p.error !== undefined ? { error: p.error } : {}),
    };
  }

  snapshot(): BrevoState {
    return {
      contacts: [...this.contacts.values()].map((c) => ({
        id: c.id,
        email: c.email ?? null,
        ext_id: c.ext_id ?? null,
        attributes: structuredClone(c.attributes),
        listIds: [...c.listIds].sort((a, b) => a - b),
        emailBlacklisted: c.emailBlacklisted,
        smsBlacklisted: c.smsBlacklisted,
        whatsappBlacklisted: c.whatsappBlacklisted,
        createdAt: isoMillis(c.createdAt),
        modifiedAt: isoMillis(c.modifiedAt),
      })),
      lists: [...this.lists.values()].map((l) => ({ id: l.id, name: l.name, folderId: l.folderId, contactIds: [...l.contactIds].sort((a, b) => a - b) })),
      folders: [...this.folders.values()].map((f) => ({ id: f.id, name: f.name })),
      events: structuredClone(this.events),
      attributes: structuredClone([...this.attributes.values()]),
      processes: [...this.processes.values()].map((p) => ({
        ...this.processView(p),
        ...(p.stats ? { stats: { ...p.stats } } : {}),
        ...(p.notification ? { notification: { ...p.notification } } : {}),
      })),
    };
  }
}
