/**
 * An incident packet on demand (`packet` command): a workflow so the printing happens on a
 * worker, where Chromium is, whichever process asked. Id: `packet:<incident>:<request>`.
 */
import type { GeneratePacketInput, GeneratePacketResult } from '../activities/packets';
import { packets } from './activities';

export async function packetWorkflow(input: GeneratePacketInput): Promise<GeneratePacketResult> {
  return packets.generateIncidentPacket(input);
}
