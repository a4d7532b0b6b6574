// Apps whose presence every sync records, before any policy names more: the consumer messengers that leak
// work data (contacts uploaded to third parties, chat backups in personal clouds, unsupervised groups).
export const WATCHED_APPS: readonly string[] = [
  'com.whatsapp', // WhatsApp, Android
  'com.whatsapp.w4b', // WhatsApp Business, Android
  'net.whatsapp.WhatsApp', // WhatsApp, iOS
  'net.whatsapp.WhatsAppSMB', // WhatsApp Business, iOS
  'com.facebook.orca', // Messenger, Android
  'com.facebook.Messenger', // Messenger, iOS
  'org.telegram.messenger', // Telegram, Android
  'ph.telegra.Telegraph', // Telegram, iOS
  'org.thoughtcrime.securesms', // Signal, Android
  'org.whispersystems.signal', // Signal, iOS
  'com.tencent.mm', // WeChat, Android
  'com.tencent.xin', // WeChat, iOS
  'jp.naver.line.android', // LINE, Android
  'jp.naver.line', // LINE, iOS
  'com.viber.voip', // Viber, Android
];
