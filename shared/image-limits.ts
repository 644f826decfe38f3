/**
 * The largest image (width × height) the pipeline handles: the worker's decoder refuses larger ones
 * (sharp `limitInputPixels`, decompression-bomb guard) and ingest refuses them already from the header
 * (422 IMAGE_TOO_MANY_PIXELS), so a frame that would only end up in the DLQ is never admitted.
 * LPR_INGEST_MAX_PIXELS may lower the ingest limit, never raise it above this.
 */
export const MAX_IMAGE_PIXELS = 40_000_000;
