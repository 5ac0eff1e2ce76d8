import { randomUUID } from 'node:crypto';

/** A fresh upload name; the uuid keeps concurrent uploads of one blob apart and names the resumable session. */
export function uploadResourceName(hex: string, size: number): string {
  return `uploads/${randomUUID()}/blobs/${hex}/${size}`;
}

export function downloadResourceName(hex: string, size: number): string {
  return `blobs/${hex}/${size}`;
}
