/** Chinese labels for values the gateway sends as codes. */

const LEVELS_ZH: Record<string, string> = {
  province: '省级',
  city: '市级',
  prefecture: '市级',
  county: '县级',
  district: '县级',
  township: '乡镇',
  town: '乡镇',
  street: '街道',
  stationed: '派驻机构',
  stationed_unit: '派驻机构',
  enterprise: '企业纪委',
}

export function levelZh(level: string): string {
  return LEVELS_ZH[level.toLowerCase()] ?? level
}
