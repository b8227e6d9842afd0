/** 简体中文：系统管理员的死信页面。 */
export default {
  deadLetters: {
    title: '死信',
    hint: '消费者无法处理的消息。修复原因后可重试（只会生效一次），或放弃。',
    status: '状态',
    allStatuses: '全部状态',
    statuses: { DEAD: '待处理', RETRY: '重试中', RETRIED: '已重试', DISCARDED: '已放弃' },
    id: '编号',
    consumer: '消费者',
    record: '消息位置',
    reason: '原因',
    attempts: '重试次数',
    at: '进入时间',
    retry: '重试',
    discard: '放弃',
    discardConfirm: '放弃死信 {id}？它仍会保留在列表中。',
    retried: '死信 {id} 已重试成功',
    stillDead: '死信 {id} 重试仍失败：{reason}',
    pending: '死信 {id} 已标记重试，消费者尚未处理',
    discarded: '死信 {id} 已放弃',
    empty: '没有死信',
  },
}
