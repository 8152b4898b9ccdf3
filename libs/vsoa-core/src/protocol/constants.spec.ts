import { statusName } from './constants';

describe('statusName', () => {
  it("names the reference's status codes, and application-defined ones by number", () => {
    expect([statusName(0), statusName(1), statusName(3), statusName(6)]).toEqual(['SUCCESS', 'PASSWORD', 'INVALID_URL', 'NO_MEMORY']);
    expect(statusName(130)).toBe('STATUS_130');
  });
});
