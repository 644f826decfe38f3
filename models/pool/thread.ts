import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { flushLogs, moduleLogger, rootLogger } from '../../shared/logger.ts';
import { OnnxRecognizer, selectReader } from '../onnx-recognizer.ts';
import { errorToWire, type FromThread, inputFromWire, type ThreadData, type ToThread } from './protocol.ts';

/**
 * One recogniser thread of a RecognizerPool: its own ONNX recogniser (own sessions, LPR_THREADS intra-op
 * threads each), reading the frames the pool sends it one at a time. Started by the pool only.
 */
if (isMainThread || !parentPort) throw new Error('models/pool/thread is a worker_threads entry');
const port = parentPort;
const data = workerData as ThreadData;
rootLogger().level = data.logLevel;
const log = moduleLogger('models').child({ thread: data.index });
const recognizer = new OnnxRecognizer(data.options, selectReader(data.options), log);
const aborts = new Map<number, AbortController>();
const post = (m: FromThread) => port.postMessage(m);

port.on('message', (m: ToThread) => {
  switch (m.type) {
    case 'warmup':
      recognizer.warmup().then(
        () => post({ type: 'ready' }),
        (err: unknown) => post({ type: 'warmup-failed', error: errorToWire(err) }),
      );
      break;
    case 'frame': {
      const ac = new AbortController();
      aborts.set(m.seq, ac);
      recognizer
        .recognize(inputFromWire(m.input), ac.signal)
        .then(
          (result) => post({ type: 'result', seq: m.seq, result }),
          (err: unknown) => post({ type: 'failed', seq: m.seq, error: errorToWire(err) }),
        )
        .finally(() => aborts.delete(m.seq));
      break;
    }
    case 'abort':
      aborts.get(m.seq)?.abort();
      break;
    case 'close':
      recognizer
        .close()
        .then(() => flushLogs(log))
        .finally(() => post({ type: 'closed' }));
      break;
  }
});
