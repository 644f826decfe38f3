/**
 * Which events partition a camera belongs to: FNV-1a of the camera id modulo the partition count, so every
 * process agrees without coordination and a camera's reads, open passes and events stay in one partition.
 */
export function cameraPartition(camera: string, count: number): number {
  if (count <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < camera.length; i++) {
    h ^= camera.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}
