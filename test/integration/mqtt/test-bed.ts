// The MES side of a load test: a real mosquitto, the contract checker on `lineside/#`, and a
// collector with a persistent session, all closed when the test file ends.
import { after } from 'node:test';
import { ContractChecker } from '../../helpers/contract-checker.ts';
import { Mosquitto, type MosquittoOptions } from '../../helpers/mosquitto.ts';
import { Collector } from './collector.ts';

export interface MesTestBed {
  broker: Mosquitto;
  contract: ContractChecker;
  mes: Collector;
}

export async function mesTestBed(opts: MosquittoOptions = {}): Promise<MesTestBed> {
  const broker = await Mosquitto.start(opts);
  after(() => broker.stop());
  // The load fixture feeds synthetic bodies: envelopes, topics, status and replies are checked.
  const contract = await ContractChecker.attach(broker.url, { bodies: 'envelope' });
  after(() => contract.close());
  const mes = new Collector(broker.url);
  after(() => mes.close());
  await mes.ready();
  return { broker, contract, mes };
}
