package profile

// raw* mirror the YAML file; yaml.v3 decodes them with KnownFields so that an
// unknown key is an error with its line.

type rawFile struct {
	Compose struct {
		Files    []string `yaml:"files"`
		Project  string   `yaml:"project"`
		Profiles []string `yaml:"profiles"`
		EnvFiles []string `yaml:"env_files"`
	} `yaml:"compose"`
	PM2 struct {
		Namespace string `yaml:"namespace"`
	} `yaml:"pm2"`
	StateDir    string `yaml:"state_dir"`
	SnapshotDir string `yaml:"snapshot_dir"`
	Logs        struct {
		Dir         string    `yaml:"dir"`
		MaxAge      *Duration `yaml:"max_age"`
		MaxSize     *Size     `yaml:"max_size"`
		SegmentSize *Size     `yaml:"segment_size"`
	} `yaml:"logs"`
	Alerts struct {
		Command []string `yaml:"command"`
		Webhook string   `yaml:"webhook"`
	} `yaml:"alerts"`
	Engine struct {
		Context string `yaml:"context"`
	} `yaml:"engine"`
	Defaults rawService             `yaml:"defaults"`
	Services map[string]*rawService `yaml:"services"`
}

type rawService struct {
	Service      string     `yaml:"service"`
	Pull         string     `yaml:"pull"`
	StartTimeout Duration   `yaml:"start_timeout"`
	Restart      rawRestart `yaml:"restart"`
	RequireEnv   []string   `yaml:"require_env"`
	Job          *bool      `yaml:"job"` // per service only
}

type rawRestart struct {
	Max         *int      `yaml:"max"`
	Window      *Duration `yaml:"window"`
	Delay       *Duration `yaml:"delay"`
	MaxDelay    *Duration `yaml:"max_delay"`
	OnUnhealthy *Duration `yaml:"on_unhealthy"`
}

// inherit fills the zero fields of s from d (a service's own keys win).
func (s *rawService) inherit(d rawService) {
	if s.Pull == "" {
		s.Pull = d.Pull
	}
	if s.StartTimeout == 0 {
		s.StartTimeout = d.StartTimeout
	}
	if s.RequireEnv == nil {
		s.RequireEnv = d.RequireEnv
	}
	r, dr := &s.Restart, d.Restart
	if r.Max == nil {
		r.Max = dr.Max
	}
	for _, p := range []struct{ dst, src **Duration }{
		{&r.Window, &dr.Window}, {&r.Delay, &dr.Delay}, {&r.MaxDelay, &dr.MaxDelay}, {&r.OnUnhealthy, &dr.OnUnhealthy},
	} {
		if *p.dst == nil {
			*p.dst = *p.src
		}
	}
}
