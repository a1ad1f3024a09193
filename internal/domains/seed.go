package domains

import "strings"

// DirectSeed is what DIRECT_DOMAINS_FILE starts with (DESIGN §3): the
// domains that the `bypass` PAC mode sends direct when the user has written
// no list of their own. It is the older toolkit's idea of the split: every
// .cn name and the large domestic sites, which are fast and sometimes only
// reachable without a foreign exit.
var DirectSeed = []string{
	"*.cn", // every .cn name, so no .cn site needs its own line
	"baidu.com", "bdstatic.com", "qq.com", "gtimg.com", "tencent.com",
	"taobao.com", "tmall.com", "alicdn.com", "alipay.com", "aliyun.com", "alibaba.com", "1688.com",
	"jd.com", "360buyimg.com", "weibo.com", "163.com", "126.com",
	"126.net", "netease.com", "sohu.com", "bilibili.com", "hdslb.com", "zhihu.com", "zhimg.com",
	"douyin.com", "bytedance.com", "toutiao.com", "ixigua.com", "kuaishou.com", "iqiyi.com",
	"youku.com", "meituan.com", "dianping.com", "ctrip.com", "xiaomi.com", "mi.com",
	"huawei.com", "pinduoduo.com", "csdn.net", "cnblogs.com", "douban.com",
}

// DirectSeedFile is DirectSeed as a commented list file.
func DirectSeedFile() []byte {
	var b strings.Builder
	b.WriteString("# Domains that `autovpn pac --mode bypass` sends direct (everything else goes\n")
	b.WriteString("# through the proxy). One domain a line; *.example.com for its subdomains.\n")
	b.WriteString("# Seeded with every .cn name and the large domestic sites; edit freely.\n")
	for _, d := range DirectSeed {
		b.WriteString(d)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}
